"""Every operator (staff) page under /ops/, grouped by domain."""
from django.urls import path

from voicemanager.cloning.views import ops as ops_cloning
from voicemanager.core.views.ops_home import ops_home
from voicemanager.deletion.views import ops as ops_deletion
from voicemanager.scripts.views import staff_scripts

urlpatterns = [
    path("", ops_home, name="ops_home"),
    # cloning: the queue
    path("cloning/", ops_cloning.queue, name="ops_cloning"),
    path("cloning/<str:voice_id>/", ops_cloning.detail, name="ops_cloning_detail"),
    path("cloning/<str:voice_id>/package", ops_cloning.package_download, name="ops_cloning_package"),
    path("cloning/<str:voice_id>/stage", ops_cloning.set_stage, name="ops_cloning_stage"),
    # deletion: requests
    path("deletion/", ops_deletion.queue, name="ops_deletion"),
    path("deletion/new/", ops_deletion.new, name="ops_deletion_new"),
    path("deletion/<str:public_id>/", ops_deletion.detail, name="ops_deletion_detail"),
    path("deletion/<str:public_id>/approve/", ops_deletion.approve, name="ops_deletion_approve"),
    path("deletion/<str:public_id>/reject/", ops_deletion.reject, name="ops_deletion_reject"),
    path("deletion/<str:public_id>/retry/", ops_deletion.retry, name="ops_deletion_retry"),
    path("deletion/<str:public_id>/resume/", ops_deletion.resume, name="ops_deletion_resume"),
    path("deletion/<str:public_id>/restore/", ops_deletion.restore, name="ops_deletion_restore"),
    # scripts: acting for an organisation in the managed service
    path("orgs/", staff_scripts.ops_orgs, name="ops_orgs"),
    path("orgs/<str:org_id>/", staff_scripts.ops_org, name="ops_org"),
    path("orgs/<str:org_id>/scripts/new/", staff_scripts.ops_script_create, name="ops_script_create"),
]
