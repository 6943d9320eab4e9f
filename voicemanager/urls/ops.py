"""Operator (staff) pages under /ops/."""
from django.urls import include, path

urlpatterns = [
    path("", include("voicemanager.urls.ops_cloning")),
    path("", include("voicemanager.urls.ops_deletion")),
    path("", include("voicemanager.urls.ops_managed")),
]
