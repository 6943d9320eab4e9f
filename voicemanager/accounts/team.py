"""Team flows: invite a member, accept, change a role, remove a member.

The last admin of an organisation can be neither demoted nor removed: both flows
lock the organisation row (``select_for_update``) and count the admins inside the
lock, so two admins demoting each other at the same moment cannot leave it with none.
"""
from __future__ import annotations

from django.conf import settings
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from voicemanager.core import audit
from voicemanager.core.emails import email_job, send_after_commit, send_templated_email
from voicemanager.core.links import site_url
from voicemanager.models import ApiKey, Invitation, Membership, Organisation, RecordingTask, User


class TeamError(Exception):
    """A team change that is not allowed; the message is safe to show."""


def _lock(organisation: Organisation) -> None:
    Organisation.objects.select_for_update().filter(pk=organisation.pk).first()


def join_url(invitation: Invitation) -> str:
    return site_url("team_join", invitation.make_token())


def invite_member(organisation: Organisation, email: str, role: str, invited_by) -> Invitation:
    """Create (or renew) a team invitation and email its link once the transaction commits."""
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except Exception as exc:
        raise TeamError("Enter a valid email address.") from exc
    if role not in Membership.Role.values:
        raise TeamError("Choose a role: admin or member.")
    if Membership.objects.filter(organisation=organisation, user__email=email).exists():
        raise TeamError(f"{email} is already a member of {organisation.name}.")
    # Only this organisation's own contractors are refused here (its admins know them already). For any
    # other email the answer is the same whatever account it has, or the form would tell; a booth account
    # that opens the link is refused at acceptance (accept_invitation).
    if RecordingTask.objects.filter(organisation=organisation, speaker__user__email=email,
                                    speaker__user__kind=User.Kind.CONTRACTOR).exists():
        raise TeamError(f"{email} records for {organisation.name} in the booth; team members need their own email.")
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update()
            .filter(organisation=organisation, email=email, kind=Invitation.Kind.TEAM, accepted_at=None,
                    revoked_at=None)
            .first()
        )
        if invitation is not None:  # resend: new link, old one dies, latest role wins
            invitation.role = role
            invitation.invited_by = invited_by
            invitation.save(update_fields=["role", "invited_by"])
            invitation.rotate()
        else:
            invitation = Invitation.objects.create(
                organisation=organisation, email=email, kind=Invitation.Kind.TEAM, role=role, invited_by=invited_by
            )
        audit.record("team.invited", actor=invited_by, organisation=organisation, target=invitation,
                     email=email, role=role)
        send_after_commit(send_team_invitation, invitation.pk)  # a mail failure is logged; the admin can resend
    return invitation


@email_job
def send_team_invitation(invitation_pk: int) -> None:
    """Email the join link (subject / text / HTML templates)."""
    invitation = Invitation.objects.select_related("organisation", "invited_by").filter(pk=invitation_pk).first()
    if invitation is None or invitation.state != "pending":
        return
    context = {"invitation": invitation, "org": invitation.organisation, "url": join_url(invitation),
               "inviter": invitation.invited_by, "days": settings.INVITATION_MAX_AGE_DAYS}
    send_templated_email("team_invitation", context, [invitation.email])
    Invitation.objects.filter(pk=invitation.pk).update(sent_at=timezone.now())


def accept_invitation(invitation: Invitation, user) -> Membership:
    """Join the organisation with the invited role. The invitation is single-use (``Invitation.accept``)."""
    if invitation.kind != Invitation.Kind.TEAM:
        raise TeamError("This is not a team invitation.")
    if user.is_contractor:
        raise TeamError("A booth (voice talent) account cannot join a team.")
    with transaction.atomic():
        invitation.accept(user)
        membership, created = Membership.objects.get_or_create(
            user=user, organisation=invitation.organisation,
            defaults={"role": invitation.role or Membership.Role.MEMBER},
        )
        audit.record("team.joined", actor=user, organisation=invitation.organisation, target=membership,
                     role=membership.role, invitation=invitation.pk, new=created)
    return membership


def _admin_count(organisation: Organisation) -> int:
    return Membership.objects.filter(organisation=organisation, role=Membership.Role.ADMIN).count()


def change_role(membership: Membership, role: str, actor) -> Membership:
    """Make a member an admin or an admin a member; never demote the last admin."""
    if role not in Membership.Role.values:
        raise TeamError("Choose a role: admin or member.")
    with transaction.atomic():
        _lock(membership.organisation)
        locked = Membership.objects.select_for_update().select_related("user", "organisation").get(pk=membership.pk)
        if locked.role == role:
            return locked
        if locked.role == Membership.Role.ADMIN and _admin_count(locked.organisation) <= 1:
            raise TeamError(f"{locked.user.email} is the last admin of {locked.organisation.name}; "
                            "make someone else an admin first.")
        old, locked.role = locked.role, role
        locked.save(update_fields=["role"])
        audit.record("team.role_changed", actor=actor, organisation=locked.organisation, target=locked,
                     email=locked.user.email, old_role=old, new_role=role)
    membership.role = role
    return locked


def remove_member(membership: Membership, actor) -> None:
    """Remove someone from the organisation (their account stays); never the last admin."""
    with transaction.atomic():
        _lock(membership.organisation)
        locked = Membership.objects.select_for_update().select_related("user", "organisation").filter(
            pk=membership.pk).first()
        if locked is None:
            return
        if locked.role == Membership.Role.ADMIN and _admin_count(locked.organisation) <= 1:
            raise TeamError(f"{locked.user.email} is the last admin of {locked.organisation.name} "
                            "and cannot be removed.")
        audit.record("team.member_removed", actor=actor, organisation=locked.organisation, target=locked,
                     email=locked.user.email, role=locked.role)
        for key in ApiKey.objects.filter(organisation=locked.organisation, created_by=locked.user, revoked_at=None):
            revoke_api_key(key, actor, reason="member_removed")
        locked.delete()


def revoke_api_key(key: ApiKey, actor, *, reason: str = "revoked") -> bool:
    """Revoke an API key with an audit entry; True when it was live until now."""
    with transaction.atomic():
        if not key.revoke():
            return False
        audit.record("api_key.revoked", actor=actor, organisation=key.organisation, target=key,
                     target_id=key.prefix, name=key.name, reason=reason,
                     created_by=key.created_by.email if key.created_by else "")
    return True


def revoke_invitation(invitation: Invitation, actor) -> None:
    with transaction.atomic():
        updated = Invitation.objects.filter(pk=invitation.pk, accepted_at=None, revoked_at=None).update(
            revoked_at=timezone.now())
        if updated:
            audit.record("team.invitation_revoked", actor=actor, organisation=invitation.organisation,
                         target=invitation, email=invitation.email)
