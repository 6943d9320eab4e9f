"""Operator pages for deletion requests (under /ops/)."""
from django.urls import path

from voicemanager.views import ops_deletion

urlpatterns = [
    path("deletion/", ops_deletion.queue, name="ops_deletion"),
    path("deletion/new/", ops_deletion.new, name="ops_deletion_new"),
    path("deletion/<str:public_id>/", ops_deletion.detail, name="ops_deletion_detail"),
    path("deletion/<str:public_id>/match/", ops_deletion.match_request, name="ops_deletion_match"),
    path("deletion/<str:public_id>/resend/", ops_deletion.resend, name="ops_deletion_resend"),
    path("deletion/<str:public_id>/approve/", ops_deletion.approve, name="ops_deletion_approve"),
    path("deletion/<str:public_id>/reject/", ops_deletion.reject, name="ops_deletion_reject"),
    path("deletion/<str:public_id>/retry/", ops_deletion.retry, name="ops_deletion_retry"),
    path("deletion/<str:public_id>/resume/", ops_deletion.resume, name="ops_deletion_resume"),
    path("deletion/<str:public_id>/restore/", ops_deletion.restore, name="ops_deletion_restore"),
]
