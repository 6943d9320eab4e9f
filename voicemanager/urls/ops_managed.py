"""URL patterns: staff acting for an organisation in the managed service (under /ops/)."""
from django.urls import path

from voicemanager.scripts.views import staff_scripts

urlpatterns = [
    path("orgs/", staff_scripts.ops_orgs, name="ops_orgs"),
    path("orgs/<str:org_id>/", staff_scripts.ops_org, name="ops_org"),
    path("orgs/<str:org_id>/scripts/new/", staff_scripts.ops_script_create, name="ops_script_create"),
]
