"""Accept a contractor invitation: create (or reuse) the account and put the tasks in the booth.

Team invitations (``Invitation.Kind.TEAM``) are accepted by their own flow; the
invite view dispatches on the kind.
"""
from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from voicemanager.core import audit
from voicemanager.models import Invitation, InvitationError, RecordingTask, User
from voicemanager.recording.assignments import contractor_speaker


def _claim_tasks(invitation: Invitation, speaker) -> int:
    """Tasks waiting for this invitation, and for any other pending contractor invitation to the same
    email (the person proved they own it), move to the booth."""
    now = timezone.now()
    others = list(Invitation.objects.select_for_update().filter(
        email=invitation.email, kind=Invitation.Kind.CONTRACTOR, accepted_at=None, revoked_at=None,
        expires_at__gt=now).exclude(pk=invitation.pk))
    Invitation.objects.filter(pk__in=[o.pk for o in others]).update(accepted_at=now, accepted_by=speaker.user)
    return RecordingTask.objects.filter(invitation__in=[invitation, *others]).accept(speaker)


def accept_as_new_contractor(invitation: Invitation, *, full_name: str, password: str,
                             native_languages: list[str]) -> User:
    """Create the contractor account for the invited email and accept. Raises InvitationError
    (nothing changed) when the link was used meanwhile or the email already has an account."""
    with transaction.atomic():
        locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if locked.kind != Invitation.Kind.CONTRACTOR:
            raise InvitationError("This link is not an invitation to record.")
        if locked.state != "pending":
            raise InvitationError(f"This invitation has been {locked.state}.")
        if User.objects.filter(email__iexact=locked.email).exists():
            raise InvitationError("An account with this email already exists: log in, then open the link again.")
        user = User.objects.create_user(email=locked.email, password=password, full_name=full_name.strip(),
                                        kind=User.Kind.CONTRACTOR)
        speaker = contractor_speaker(user, full_name=full_name.strip(), native_languages=native_languages)
        locked.accept(user)
        claimed = _claim_tasks(locked, speaker)
        audit.record("invitation.accepted", actor=user, organisation=locked.organisation, target=locked,
                     new_account=True, tasks=claimed)
    return user


def accept_as_existing_contractor(invitation: Invitation, user: User) -> None:
    """A logged-in contractor whose email matches accepts (e.g. a second invitation)."""
    if not user.is_contractor:
        raise InvitationError("This invitation is for a contractor account.")
    with transaction.atomic():
        locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
        locked.accept(user)  # checks state and email
        speaker = contractor_speaker(user)
        claimed = _claim_tasks(locked, speaker)
        audit.record("invitation.accepted", actor=user, organisation=locked.organisation, target=locked,
                     new_account=False, tasks=claimed)
