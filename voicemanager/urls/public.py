"""Public pages (no login): invitation links, voice-owner consent, deletion requests."""
from django.urls import include, path

urlpatterns = [
    path("", include("voicemanager.urls.invite")),
    path("", include("voicemanager.urls.owner_consent")),
    path("", include("voicemanager.urls.join")),
    path("", include("voicemanager.urls.forget")),
]
