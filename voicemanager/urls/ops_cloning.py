"""URL patterns: the operator's cloning queue (staff)."""
from django.urls import path

from voicemanager.cloning.views import ops as ops_cloning

urlpatterns = [
    path("cloning/", ops_cloning.queue, name="ops_cloning"),
    path("cloning/<str:voice_id>/", ops_cloning.detail, name="ops_cloning_detail"),
    path("cloning/<str:voice_id>/package", ops_cloning.package_download, name="ops_cloning_package"),
    path("cloning/<str:voice_id>/stage", ops_cloning.set_stage, name="ops_cloning_stage"),
]
