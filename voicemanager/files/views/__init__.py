"""Views of the files domain; their URLs are in voicemanager/urls/ (vm.py, ops.py) or config/urls.py."""
