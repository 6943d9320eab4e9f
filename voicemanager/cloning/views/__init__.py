"""Views of the cloning domain; their URLs are in voicemanager/urls/ (vm.py, ops.py) or config/urls.py."""
