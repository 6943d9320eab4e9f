"""URL patterns: denoising, A/B comparison, forward choice, the task QC table, and file audio."""
from django.urls import path

from voicemanager.files.views import denoise

urlpatterns = [
    path("files/<str:file_id>/audio", denoise.file_audio, name="denoise_file_audio"),
    path("files/<str:file_id>/denoise/", denoise.file_panel, name="denoise_file_page"),
    path("files/<str:file_id>/denoise/run", denoise.file_denoise, name="denoise_file"),
    path("files/<str:file_id>/forward", denoise.file_forward, name="denoise_file_forward"),
    path("denoise/form", denoise.selection_form, name="denoise_selection_form"),
    path("denoise/run", denoise.selection_denoise, name="denoise_selection"),
    path("denoise/batches/<str:batch>/", denoise.batch_progress, name="denoise_batch"),
    path("tasks/<str:task_id>/denoise/", denoise.task_panel, name="denoise_task_panel"),
    path("tasks/<str:task_id>/denoise/run", denoise.task_denoise, name="denoise_task"),
    path("tasks/<str:task_id>/qc/", denoise.task_qc, name="task_qc"),
]
