"""URL patterns: accepting a team invitation (public, signed single-use link)."""
from django.urls import path

from voicemanager.accounts.views import team

urlpatterns = [
    path("join/<str:token>/", team.join, name="team_join"),
]
