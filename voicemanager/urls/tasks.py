"""URL patterns: tasks."""
from django.urls import path

from voicemanager.views import exports, reviews, tasks

urlpatterns = [
    path("tasks/", tasks.task_list, name="task_list"),
    path("tasks/invite/", tasks.task_invite, name="task_invite"),
    path("tasks/invite/path", tasks.task_invite_path, name="task_invite_path"),
    path("tasks/<str:task_id>/", tasks.task_detail, name="task_detail"),
    path("tasks/<str:task_id>/takes/<str:take_id>/audio", tasks.take_audio, name="task_take_audio"),
    path("tasks/<str:task_id>/resend", tasks.task_resend, name="task_resend"),
    path("tasks/<str:task_id>/revoke", tasks.task_revoke, name="task_revoke"),
    path("tasks/<str:task_id>/cancel", tasks.task_cancel, name="task_cancel"),
    path("tasks/<str:task_id>/due-date", tasks.task_due_date, name="task_due_date"),
    path("tasks/<str:task_id>/review/", reviews.task_review, name="task_review"),
    path("tasks/<str:task_id>/review/<str:take_id>/", reviews.take_review, name="take_review"),
    path("tasks/<str:task_id>/review-failed", reviews.review_retake_failed, name="task_review_retake_failed"),
    path("tasks/<str:task_id>/review-send", reviews.review_send, name="task_review_send"),
    path("tasks/<str:task_id>/screening", reviews.screening_set, name="task_screening_set"),
    path("tasks/<str:task_id>/screening/release", reviews.screening_release, name="task_screening_release"),
    path("tasks/<str:task_id>/export", exports.export_start, name="task_export_start"),
    path("tasks/<str:task_id>/export/status", exports.export_status, name="task_export_status"),
    path("tasks/<str:task_id>/export/<str:export_id>.zip", exports.export_download, name="task_export_download"),
    path("tasks/<str:task_id>/review-setting", reviews.org_review_setting, name="task_review_setting"),
]
