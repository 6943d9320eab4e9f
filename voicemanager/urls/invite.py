"""URL patterns: invite."""
from django.urls import path

from voicemanager.recording.views import invite

urlpatterns = [
    path("invite/<str:token>/", invite.invitation, name="invitation"),
]
