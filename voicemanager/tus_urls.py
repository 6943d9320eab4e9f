"""tus 1.0.0 endpoints, included at /uploads/ (see voicemanager.files.tus)."""
from django.urls import path

from voicemanager.files import tus

urlpatterns = [
    path("", tus.tus_collection, name="tus_create"),
    path("<uuid:upload_id>", tus.tus_upload, name="tus_upload"),
]
