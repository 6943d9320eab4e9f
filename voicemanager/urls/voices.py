"""URL patterns: private voices and submitting a finished task for cloning."""
from django.urls import path

from voicemanager.cloning.views import submit as clone_submit
from voicemanager.cloning.views import voices

urlpatterns = [
    path("voices/", voices.voice_list, name="voices"),
    path("voices/<str:voice_id>/", voices.voice_detail, name="voice_detail"),
    path("tasks/<str:task_id>/clone/", clone_submit.clone_task, name="clone_task"),
]
