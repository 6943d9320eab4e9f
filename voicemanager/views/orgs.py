"""Organisation overview: members and API keys (admins issue keys here)."""
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from voicemanager.access import get_org_for_admin, get_org_for_member, team_required, user_organisations
from voicemanager.models import ApiKey, audit


@team_required
def org_list(request: HttpRequest) -> HttpResponse:
    return render(request, "voicemanager/org_list.html", {"organisations": user_organisations(request.user)})


@team_required
def org_detail(request: HttpRequest, org_id: str) -> HttpResponse:
    org = get_org_for_member(request, org_id)
    context = {
        "org": org,
        "memberships": org.memberships.select_related("user").order_by("user__email"),
        "api_keys": org.api_keys.filter(revoked_at=None).order_by("-created_at"),
        "is_admin": request.user.is_staff or org.is_admin(request.user),
    }
    return render(request, "voicemanager/org_detail.html", context)


@team_required
@require_POST
def api_key_create(request: HttpRequest, org_id: str) -> HttpResponse:
    org = get_org_for_admin(request, org_id)
    key, raw = ApiKey.issue(org, request.POST.get("name", "default")[:100] or "default", created_by=request.user)
    audit.record("api_key.created", actor=request.user, organisation=org, target=key, target_id=key.prefix)
    messages.success(request, f"New API key (copy it now, it is shown once): {raw}")
    return redirect("org_detail", org_id=org.public_id)
