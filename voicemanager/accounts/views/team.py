"""Team pages: invite new users (team member or voice talent), roles, removal, and /join/<token>/."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from voicemanager.accounts import team
from voicemanager.accounts.forms import JoinSignupForm, TeamInviteForm
from voicemanager.core.access import (
    admin_organisations,
    get_membership_for_admin,
    get_team_invitation_for_admin,
    team_required,
)
from voicemanager.models import Invitation, InvitationError, Membership, Organisation, User


def contractor_invite_url() -> str:
    """Issue 3's 'invite a user to record their voice' page (assign a recording task)."""
    return reverse("task_invite")


@team_required
def invite(request: HttpRequest) -> HttpResponse:
    """Voice manager → Invite new users: a team member here, or a voice talent via the assign page."""
    orgs = list(admin_organisations(request.user).order_by("name"))
    if not orgs:
        raise PermissionDenied("Only an admin of an organisation can invite people.")
    form = TeamInviteForm(request.POST or None, organisations=orgs,
                          initial={"organisation": request.GET.get("org", "")})
    if request.method == "POST" and form.is_valid():
        org = form.organisations[form.cleaned_data["organisation"]]
        try:
            invitation = team.invite_member(org, form.cleaned_data["email"], form.cleaned_data["role"], request.user)
        except team.TeamError as exc:
            form.add_error("email", str(exc))
        else:
            messages.success(request, f"Invitation sent to {invitation.email} ({invitation.role} of {org.name}).")
            return redirect("org_detail", org_id=org.public_id)
    return render(request, "voicemanager/team/invite.html",
                  {"form": form, "contractor_url": contractor_invite_url()})


def _members_response(request: HttpRequest, org: Organisation) -> HttpResponse:
    from voicemanager.accounts.views.orgs import org_context

    if request.htmx:
        return render(request, "voicemanager/team/org_detail.html#members", org_context(request, org))
    return redirect("org_detail", org_id=org.public_id)


@team_required
@require_POST
def member_role(request: HttpRequest, org_id: str, pk: int) -> HttpResponse:
    org, membership = get_membership_for_admin(request, org_id, pk)
    try:
        team.change_role(membership, request.POST.get("role", ""), request.user)
        messages.success(request, f"{membership.user.email} is now {membership.get_role_display().lower()}.")
    except team.TeamError as exc:
        messages.error(request, str(exc))
    return _members_response(request, org)


@team_required
@require_POST
def member_remove(request: HttpRequest, org_id: str, pk: int) -> HttpResponse:
    org, membership = get_membership_for_admin(request, org_id, pk)
    try:
        team.remove_member(membership, request.user)
        messages.success(request, f"{membership.user.email} was removed from {org.name}.")
    except team.TeamError as exc:
        messages.error(request, str(exc))
    if membership.user_id == request.user.pk and not request.user.is_staff and not \
            Membership.objects.filter(pk=membership.pk).exists():
        return redirect("org_list")
    return _members_response(request, org)


@team_required
@require_POST
def invitation_revoke(request: HttpRequest, org_id: str, pk: int) -> HttpResponse:
    org, invitation = get_team_invitation_for_admin(request, org_id, pk)
    team.revoke_invitation(invitation, request.user)
    messages.success(request, f"The invitation to {invitation.email} was revoked.")
    return _members_response(request, org)


@team_required
@require_POST
def invitation_resend(request: HttpRequest, org_id: str, pk: int) -> HttpResponse:
    org, invitation = get_team_invitation_for_admin(request, org_id, pk, open_only=True)
    try:
        team.invite_member(org, invitation.email, invitation.role, request.user)
        messages.success(request, f"A new link was sent to {invitation.email}; the old one no longer works.")
    except team.TeamError as exc:
        messages.error(request, str(exc))
    return _members_response(request, org)


def join(request: HttpRequest, token: str) -> HttpResponse:
    """Accept a team invitation: create an account (or log in with the invited email), then join."""
    try:
        invitation = Invitation.from_token(token)
        if invitation.kind != Invitation.Kind.TEAM:
            raise InvitationError("This link is not a team invitation.")
    except InvitationError as exc:
        return render(request, "voicemanager/team/join_invalid.html", {"message": str(exc)}, status=410)
    org = invitation.organisation
    existing = User.objects.filter(email=invitation.email).first()
    context = {"invitation": invitation, "org": org, "token": token}
    user = request.user
    if user.is_authenticated:
        if user.email != invitation.email:
            context["mode"] = "wrong_user"
            return render(request, "voicemanager/team/join.html", context, status=403)
        context["mode"] = "confirm"
        if request.method == "POST":
            return _accept(request, invitation, user)
        return render(request, "voicemanager/team/join.html", context)
    if existing is not None:
        context["mode"] = "login"
        context["login_url"] = f"{reverse('login')}?next={request.path}"
        return render(request, "voicemanager/team/join.html", context)
    form = JoinSignupForm(request.POST or None, email=invitation.email)
    context.update(mode="signup", form=form)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                new_user = User.objects.create_user(email=invitation.email, password=form.cleaned_data["password1"],
                                                    full_name=form.cleaned_data["full_name"], kind=User.Kind.TEAM)
                team.accept_invitation(invitation, new_user)
        except (InvitationError, team.TeamError) as exc:
            return render(request, "voicemanager/team/join_invalid.html", {"message": str(exc)}, status=410)
        login(request, new_user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, f"Welcome to {org.name}.")
        return redirect("org_detail", org_id=org.public_id)
    return render(request, "voicemanager/team/join.html", context)


def _accept(request: HttpRequest, invitation: Invitation, user) -> HttpResponse:
    try:
        membership = team.accept_invitation(invitation, user)
    except (InvitationError, team.TeamError) as exc:
        return render(request, "voicemanager/team/join_invalid.html", {"message": str(exc)}, status=410)
    messages.success(request, f"You joined {membership.organisation.name} as {membership.get_role_display().lower()}.")
    return redirect("org_detail", org_id=membership.organisation.public_id)
