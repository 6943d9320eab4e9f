"""URL patterns: the voice owner's consent page (public, signed link; no account)."""
from django.urls import path

from voicemanager.consent.views import owner_consent

urlpatterns = [
    path("consent/<str:token>/", owner_consent.consent_page, name="owner_consent"),
    path("consent/<str:token>/recording/", owner_consent.consent_recording, name="owner_consent_recording"),
]
