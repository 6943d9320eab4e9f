"""Operator (staff) pages under /ops/."""
from django.urls import include, path

from voicemanager.core.views.ops_home import ops_home

urlpatterns = [
    path("", ops_home, name="ops_home"),
    path("", include("voicemanager.urls.ops_cloning")),
    path("", include("voicemanager.urls.ops_deletion")),
    path("", include("voicemanager.urls.ops_managed")),
]
