"""URL patterns: tasks."""
from django.urls import path

from voicemanager.recording.views import tasks

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
]
