"""Every page under /vm/ (organisation admins and members), grouped by domain.

Each view lives in ``voicemanager/<domain>/views/``; the rules it calls live beside it in
``voicemanager/<domain>/``. Order matters only where a fixed path shares a prefix with a
parameter (``tasks/invite/`` before ``tasks/<task_id>/``).
"""
from django.urls import path

from voicemanager.accounts.views import orgs, team
from voicemanager.cloning.views import credits, exports, voices
from voicemanager.cloning.views import submit as clone_submit
from voicemanager.consent.views import owner_consent
from voicemanager.core.views import home
from voicemanager.files.views import denoise, files
from voicemanager.quality import views as quality
from voicemanager.recording.views import reviews, tasks
from voicemanager.scripts.views import scripts

urlpatterns = [
    path("", home.dashboard, name="dashboard"),
    # scripts
    path("scripts/", scripts.script_list, name="script_list"),
    path("scripts/new/", scripts.script_new, name="script_new"),
    path("scripts/<str:script_id>/", scripts.script_detail, name="script_detail"),
    path("scripts/<str:script_id>/details", scripts.script_details, name="script_details"),
    path("scripts/<str:script_id>/sections/add", scripts.section_add, name="section_add"),
    path("scripts/<str:script_id>/sections/<int:position>/edit", scripts.section_edit, name="section_edit"),
    path("scripts/<str:script_id>/sections/<int:position>/<str:action>", scripts.section_action,
         name="section_action"),
    # recording: tasks
    path("tasks/", tasks.task_list, name="task_list"),
    path("tasks/invite/", tasks.task_invite, name="task_invite"),
    path("tasks/invite/path", tasks.task_invite_path, name="task_invite_path"),
    path("tasks/<str:task_id>/", tasks.task_detail, name="task_detail"),
    path("tasks/<str:task_id>/takes/<str:take_id>/audio", tasks.take_audio, name="task_take_audio"),
    path("tasks/<str:task_id>/resend", tasks.task_resend, name="task_resend"),
    # quality: speaker verification and drift
    path("tasks/<str:task_id>/quality/", quality.task_quality, name="task_quality"),
    path("tasks/<str:task_id>/quality/reference/<int:check_id>", quality.task_reference, name="task_quality_reference"),
    path("voices/<str:voice_id>/quality/", quality.voice_quality, name="voice_quality"),
    path("tasks/<str:task_id>/revoke", tasks.task_revoke, name="task_revoke"),
    path("tasks/<str:task_id>/cancel", tasks.task_cancel, name="task_cancel"),
    path("tasks/<str:task_id>/due-date", tasks.task_due_date, name="task_due_date"),
    # recording: review and screening
    path("tasks/<str:task_id>/review/", reviews.task_review, name="task_review"),
    path("tasks/<str:task_id>/review/<str:take_id>/", reviews.take_review, name="take_review"),
    path("tasks/<str:task_id>/review-failed", reviews.review_retake_failed, name="task_review_retake_failed"),
    path("tasks/<str:task_id>/review-send", reviews.review_send, name="task_review_send"),
    path("tasks/<str:task_id>/review-setting", reviews.org_review_setting, name="task_review_setting"),
    path("tasks/<str:task_id>/screening", reviews.screening_set, name="task_screening_set"),
    path("tasks/<str:task_id>/screening/release", reviews.screening_release, name="task_screening_release"),
    # files: the file manager
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
    # cloning: private voices, submitting a task
    path("voices/", voices.voice_list, name="voices"),
    path("voices/<str:voice_id>/", voices.voice_detail, name="voice_detail"),
    path("tasks/<str:task_id>/clone/", clone_submit.clone_task, name="clone_task"),
    path("tasks/<str:task_id>/export", exports.export_start, name="task_export_start"),
    path("tasks/<str:task_id>/export/status", exports.export_status, name="task_export_status"),
    path("tasks/<str:task_id>/export/<str:export_id>.zip", exports.export_download, name="task_export_download"),
    # accounts: organisations, team, API keys; consent: voice owners
    path("team/", orgs.org_list, name="org_list"),
    path("team/invite/", team.invite, name="team_invite"),
    path("orgs/<str:org_id>/", orgs.org_detail, name="org_detail"),
    path("orgs/<str:org_id>/api-keys/", orgs.api_key_create, name="api_key_create"),
    path("orgs/<str:org_id>/api-keys/<int:key_id>/revoke/", orgs.api_key_revoke, name="api_key_revoke"),
    path("orgs/<str:org_id>/members/<int:pk>/role/", team.member_role, name="team_member_role"),
    path("orgs/<str:org_id>/members/<int:pk>/remove/", team.member_remove, name="team_member_remove"),
    path("orgs/<str:org_id>/invitations/<int:pk>/resend/", team.invitation_resend, name="team_invitation_resend"),
    path("orgs/<str:org_id>/invitations/<int:pk>/revoke/", team.invitation_revoke, name="team_invitation_revoke"),
    path("voice-owners/", owner_consent.voice_owners, name="voice_owners"),
    path("voice-owners/<str:speaker_id>/", owner_consent.voice_owner_detail, name="voice_owner_detail"),
    path("voice-owners/<str:speaker_id>/resend/", owner_consent.voice_owner_resend, name="voice_owner_resend"),
    path("voice-owners/<str:speaker_id>/consent/<int:pk>/audio/", owner_consent.voice_owner_audio,
         name="voice_owner_audio"),
    # cloning: credits and quotes
    path("credits/", credits.credits_home, name="credits"),
    path("credits/<str:org_id>/", credits.credits_org, name="credits_org"),
    path("credits/<str:org_id>/add/", credits.credits_add, name="credits_add"),
    path("credits/<str:org_id>/quotes/", credits.quote_create, name="credits_quote_create"),
    path("credits/<str:org_id>/quotes/<int:pk>/accept/", credits.quote_accept, name="credits_quote_accept"),
    path("credits/<str:org_id>/quotes/<int:pk>/decline/", credits.quote_decline, name="credits_quote_decline"),
    # files: denoising, A/B, the task QC table
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
