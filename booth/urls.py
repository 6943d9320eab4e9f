"""Contractor pages under /booth/."""
from django.urls import path

from booth.views import consent, pages, uploads

app_name = "booth"
urlpatterns = [
    path("", pages.booth_home, name="home"),
    path("tasks/<str:task_id>/", pages.booth_page, name="task"),
    path("tasks/<str:task_id>/consent/", consent.consent, name="consent"),
    path("tasks/<str:task_id>/consent/recording/", uploads.upload_consent, name="upload_consent"),
    path("tasks/<str:task_id>/mic/", consent.mic_check, name="mic"),
    path("tasks/<str:task_id>/roomtone/", uploads.upload_room_tone, name="upload_room_tone"),
    path("tasks/<str:task_id>/sections/<int:section_id>/takes/", uploads.upload_take, name="upload_take"),
    path("tasks/<str:task_id>/takes/<str:take_id>/submit/", pages.submit, name="submit"),
    path("tasks/<str:task_id>/takes/<str:take_id>/delete/", pages.delete, name="delete"),
    path("tasks/<str:task_id>/takes/<str:take_id>/audio/", pages.take_audio, name="take_audio"),
    path("tasks/<str:task_id>/takes/<str:take_id>/voice/", uploads.take_voice, name="take_voice"),
    path("tasks/<str:task_id>/takes/<str:take_id>/script/", pages.take_script, name="take_script"),
]
