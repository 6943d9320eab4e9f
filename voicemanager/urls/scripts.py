"""URL patterns: scripts."""
from django.urls import path

from voicemanager.scripts.views import scripts

urlpatterns = [
    path("scripts/", scripts.script_list, name="script_list"),
    path("scripts/new/", scripts.script_new, name="script_new"),
    path("scripts/<str:script_id>/", scripts.script_detail, name="script_detail"),
    path("scripts/<str:script_id>/details", scripts.script_details, name="script_details"),
    path("scripts/<str:script_id>/sections/add", scripts.section_add, name="section_add"),
    path("scripts/<str:script_id>/sections/<int:position>/edit", scripts.section_edit, name="section_edit"),
    path("scripts/<str:script_id>/sections/<int:position>/<str:action>", scripts.section_action,
         name="section_action"),
]
