"""Views of the core domain; their URLs are in voicemanager/urls/ (vm.py, ops.py) or config/urls.py."""
