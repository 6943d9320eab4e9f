"""URL patterns: organisations, team and API keys."""
from django.urls import path

from voicemanager.views import orgs

urlpatterns = [
    path("team/", orgs.org_list, name="org_list"),
    path("orgs/<str:org_id>/", orgs.org_detail, name="org_detail"),
    path("orgs/<str:org_id>/api-keys/", orgs.api_key_create, name="api_key_create"),
]
