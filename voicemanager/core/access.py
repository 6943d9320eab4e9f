"""One access helper per kind of object: return it or raise 404.

Every view goes through one of these; this is where isolation between
organisations (and between contractors) is kept.
"""
from __future__ import annotations

from functools import wraps

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404

from voicemanager.models import (
    ApiKey,
    AudioFile,
    ConsentRecording,
    CreditQuote,
    DataSetExport,
    DeletionRequest,
    Invitation,
    Membership,
    Organisation,
    RecordingTask,
    Script,
    Speaker,
    Take,
    Voice,
    VoiceCheck,
)


def _login_and(allowed, view):
    """Anonymous users go to the login page; logged-in users who are not ``allowed`` get 404."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        user = request.user
        if not user.is_authenticated:
            from django.contrib.auth.views import redirect_to_login

            return redirect_to_login(request.get_full_path())
        if not allowed(user):
            raise Http404("Not found")
        return view(request, *args, **kwargs)

    return wrapper


def team_required(view):
    """Logged-in team members (not contractors). Contractors get 404: admin pages do not exist for them."""
    return _login_and(lambda user: not user.is_contractor, view)


def staff_required(view):
    return _login_and(lambda user: user.is_staff, view)


def user_organisations(user):
    """Organisations a team user may see; staff see every organisation."""
    if user.is_authenticated and user.is_staff:
        return Organisation.objects.all()
    return Organisation.objects.for_user(user)


def admin_organisations(user):
    """Organisations where the user may act as admin (assign, resend, revoke); staff: every organisation."""
    if user.is_authenticated and user.is_staff:
        return Organisation.objects.all()
    return Organisation.objects.administered_by(user)


def get_org_for_member(request, public_id: str) -> Organisation:
    return get_object_or_404(user_organisations(request.user), public_id=public_id)


def get_org_for_admin(request, public_id: str) -> Organisation:
    """Organisation where the user is an admin (staff act as admin for the managed service)."""
    org = get_org_for_member(request, public_id)
    if not request.user.is_staff and not org.is_admin(request.user):
        raise PermissionDenied("Only an admin of this organisation can do that.")
    return org


def require_admin_of(request, organisation: Organisation) -> None:
    if request.user.is_staff:
        return
    if not Membership.objects.filter(
        user=request.user, organisation=organisation, role=Membership.Role.ADMIN
    ).exists():
        raise PermissionDenied("Only an admin of this organisation can do that.")


def get_script_for_member(request, public_id: str) -> Script:
    return get_object_or_404(
        Script.objects.select_related("organisation").filter(organisation__in=user_organisations(request.user)),
        public_id=public_id,
    )


def get_task_for_member(request, public_id: str) -> RecordingTask:
    return get_object_or_404(
        RecordingTask.objects.select_related("organisation", "script", "speaker").filter(
            organisation__in=user_organisations(request.user)
        ),
        public_id=public_id,
    )


def get_task_for_admin(request, public_id: str) -> RecordingTask:
    """A task of an organisation the user administers (members get 403, everyone else 404)."""
    task = get_task_for_member(request, public_id)
    require_admin_of(request, task.organisation)
    return task


def get_file_for_member(request, public_id: str) -> AudioFile:
    return get_object_or_404(
        AudioFile.objects.select_related("organisation").filter(organisation__in=user_organisations(request.user)),
        public_id=public_id,
    )


def get_voice_for_member(request, public_id: str) -> Voice:
    return get_object_or_404(
        Voice.objects.select_related("organisation").filter(organisation__in=user_organisations(request.user)),
        public_id=public_id,
    )


def get_task_for_contractor(request, public_id: str) -> RecordingTask:
    """A contractor's own, not cancelled task; anyone else gets 404."""
    if not request.user.is_authenticated:
        raise Http404("Not found")
    return get_object_or_404(
        RecordingTask.objects.for_contractor(request.user).select_related("script", "organisation", "speaker"),
        public_id=public_id,
    )


def get_take_for_contractor(request, task_public_id: str, take_public_id: str) -> Take:
    """A take of the contractor's own task (the booth's take actions)."""
    task = get_task_for_contractor(request, task_public_id)
    return get_object_or_404(Take.objects.select_related("section", "task"), task=task, public_id=take_public_id)


def get_voice_check_for_member(request, task_public_id: str, check_pk: int) -> VoiceCheck:
    """A take's voice check (speaker verification and drift) on a task of one of the user's organisations."""
    task = get_task_for_member(request, task_public_id)
    return get_object_or_404(VoiceCheck.objects.select_related("organisation"), pk=check_pk, task=task)


def get_take_for_member(request, task_public_id: str, take_public_id: str) -> Take:
    """A take of a task of one of the user's organisations."""
    task = get_task_for_member(request, task_public_id)
    return get_object_or_404(Take.objects.select_related("section", "task"), task=task, public_id=take_public_id)


def get_export_for_admin(request, task_public_id: str, export_public_id: str) -> DataSetExport:
    """A finished download of a task of an organisation the user administers."""
    task = get_task_for_member(request, task_public_id)
    require_admin_of(request, task.organisation)
    return get_object_or_404(DataSetExport.objects.select_related("task__script", "organisation"), task=task,
                             public_id=export_public_id, state=DataSetExport.State.DONE)


def get_voice_owner_for_member(request, public_id: str) -> Speaker:
    """A voice owner of one of the user's organisations, else 404."""
    return get_object_or_404(
        Speaker.objects.select_related("organisation").filter(
            kind=Speaker.Kind.VOICE_OWNER, organisation__in=user_organisations(request.user)),
        public_id=public_id,
    )


def get_consent_recording_for_member(request, speaker_public_id: str, pk: int) -> ConsentRecording:
    speaker = get_voice_owner_for_member(request, speaker_public_id)
    return get_object_or_404(ConsentRecording.objects.select_related("audio"), pk=pk, speaker=speaker,
                             organisation=speaker.organisation)


def get_membership_for_admin(request, org_public_id: str, pk: int) -> tuple[Organisation, Membership]:
    org = get_org_for_admin(request, org_public_id)
    return org, get_object_or_404(Membership.objects.select_related("user"), pk=pk, organisation=org)


def get_team_invitation_for_admin(request, org_public_id: str, pk: int, *, open_only: bool = False
                                  ) -> tuple[Organisation, Invitation]:
    """A team invitation of an organisation the user administers; ``open_only``: not accepted or revoked."""
    org = get_org_for_admin(request, org_public_id)
    invitations = Invitation.objects.filter(organisation=org, kind=Invitation.Kind.TEAM)
    if open_only:
        invitations = invitations.filter(accepted_at=None, revoked_at=None)
    return org, get_object_or_404(invitations, pk=pk)


def get_api_key_for_admin(request, org_public_id: str, pk: int) -> tuple[Organisation, ApiKey]:
    org = get_org_for_admin(request, org_public_id)
    return org, get_object_or_404(ApiKey, pk=pk, organisation=org)


def get_quote_for_admin(request, org_public_id: str, pk: int) -> CreditQuote:
    org = get_org_for_admin(request, org_public_id)
    return get_object_or_404(CreditQuote.objects.select_related("voice", "organisation"), pk=pk, organisation=org)


def _staff_only(request) -> None:
    """The views' decorators already turned everyone else away; this keeps the helper safe on its own."""
    if not (request.user.is_authenticated and request.user.is_staff):
        raise Http404("Not found")


def get_org_for_staff(request, public_id: str) -> Organisation:
    _staff_only(request)
    return get_object_or_404(Organisation, public_id=public_id)


def get_voice_for_staff(request, public_id: str) -> Voice:
    _staff_only(request)
    return get_object_or_404(Voice.objects.select_related("organisation", "task", "speaker"), public_id=public_id)


def get_deletion_request_for_staff(request, public_id: str) -> DeletionRequest:
    _staff_only(request)
    return get_object_or_404(DeletionRequest.objects.select_related("organisation", "approved_by"),
                             public_id=public_id)
