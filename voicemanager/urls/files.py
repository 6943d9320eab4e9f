"""URL patterns: the file manager."""
from django.urls import path

from voicemanager.cloning.views import submit as clone_submit
from voicemanager.files.views import files

urlpatterns = [
    path("files/", files.file_list, name="files"),
    path("files/upload/", files.upload_page, name="file_upload"),
    path("files/upload/complete", files.upload_complete, name="file_upload_complete"),
    path("files/clone/", clone_submit.clone_files, name="clone_files"),
    path("files/<str:file_id>/", files.file_detail, name="file_detail"),
    path("files/<str:file_id>/download", files.download, name="file_download"),
    path("files/<str:file_id>/rename", files.rename, name="file_rename"),
    path("files/<str:file_id>/move", files.move, name="file_move"),
    path("files/<str:file_id>/label", files.set_label, name="file_label"),
    path("files/<str:file_id>/delete", files.delete, name="file_delete"),
]
