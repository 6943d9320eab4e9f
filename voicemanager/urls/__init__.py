"""URL modules, one per prefix: vm.py (/vm/), ops.py (/ops/). Public pages are listed in config/urls.py."""
