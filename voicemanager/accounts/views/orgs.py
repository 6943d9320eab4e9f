"""Organisation overview: members (roles, removal), pending team invitations and API keys."""
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_POST

from voicemanager.accounts import team
from voicemanager.core import audit
from voicemanager.core.access import (
    get_api_key_for_admin,
    get_org_for_admin,
    get_org_for_member,
    team_required,
    user_organisations,
)
from voicemanager.models import ApiKey, Invitation, Membership, Organisation


@team_required
def org_list(request: HttpRequest) -> HttpResponse:
    orgs = user_organisations(request.user).order_by("name")
    admin_of = set(Organisation.objects.administered_by(request.user).values_list("pk", flat=True))
    rows = [(org, request.user.is_staff or org.pk in admin_of) for org in orgs]
    return render(request, "voicemanager/team/org_list.html", {"rows": rows, "can_invite": bool(admin_of)
                                                                or request.user.is_staff})


def org_context(request: HttpRequest, org: Organisation) -> dict:
    memberships = list(org.memberships.select_related("user").order_by("user__email"))
    return {
        "org": org,
        "memberships": memberships,
        "admin_count": sum(1 for m in memberships if m.role == Membership.Role.ADMIN),
        "roles": Membership.Role.choices,
        "invitations": org.invitations.filter(kind=Invitation.Kind.TEAM, accepted_at=None, revoked_at=None)
        .order_by("-created_at"),
        "api_keys": org.api_keys.filter(revoked_at=None).order_by("-created_at"),
        "is_admin": request.user.is_staff or org.is_admin(request.user),
    }


@team_required
def org_detail(request: HttpRequest, org_id: str) -> HttpResponse:
    org = get_org_for_member(request, org_id)
    return render(request, "voicemanager/team/org_detail.html", org_context(request, org))


@team_required
@require_POST
def api_key_create(request: HttpRequest, org_id: str) -> HttpResponse:
    """Show the new key in this answer only: not in a redirect's messages cookie, not cached."""
    org = get_org_for_admin(request, org_id)
    key, raw = ApiKey.issue(org, request.POST.get("name", "default")[:100] or "default", created_by=request.user)
    audit.record("api_key.created", actor=request.user, organisation=org, target=key, target_id=key.prefix)
    response = render(request, "voicemanager/team/org_detail.html",
                      {**org_context(request, org), "new_key": raw, "new_key_name": key.name})
    add_never_cache_headers(response)
    return response


@team_required
@require_POST
def api_key_revoke(request: HttpRequest, org_id: str, key_id: int) -> HttpResponse:
    org, key = get_api_key_for_admin(request, org_id, key_id)
    if team.revoke_api_key(key, request.user):
        messages.success(request, f"API key {key.prefix}… ({key.name}) was revoked; it no longer works.")
    return redirect("org_detail", org_id=org.public_id)
