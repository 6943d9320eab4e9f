"""Views of the consent domain; their URLs are in voicemanager/urls/ (vm.py, ops.py) or config/urls.py."""
