"""Invitation links (public): ``/invite/<token>/``.

Any refusal (tampered, expired, revoked, replayed, wrong account) renders the same
refusal page and changes nothing. Each invitation kind has its own handler in
``HANDLERS``; team invitations plug in there.
"""
from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from voicemanager.models import Invitation, InvitationError, RecordingTask
from voicemanager.recording.accept import accept_as_existing_contractor, accept_as_new_contractor
from voicemanager.recording.forms import ContractorSignupForm

BACKEND = "django.contrib.auth.backends.ModelBackend"


def refuse(request: HttpRequest, message: str, status: int = 400) -> HttpResponse:
    return render(request, "voicemanager/invite/refused.html", {"message": message}, status=status)


def contractor_invitation(request: HttpRequest, invitation: Invitation, token: str) -> HttpResponse:
    tasks = list(RecordingTask.objects.filter(invitation=invitation).exclude(status=RecordingTask.Status.CANCELLED)
                 .select_related("script"))
    context = {"invitation": invitation, "tasks": tasks, "token": token}
    user = request.user
    if user.is_authenticated:
        if user.email.lower() != invitation.email or not user.is_contractor:
            return refuse(request, f"You are logged in as {user.email}, but this invitation was sent to another "
                                   "address. Log out, then open the link again.", status=403)
        if request.method == "POST":
            try:
                accept_as_existing_contractor(invitation, user)
            except InvitationError as exc:
                return refuse(request, str(exc))
            return redirect("/booth/")
        return render(request, "voicemanager/invite/accept_existing.html", context)
    from voicemanager.models import User

    if User.objects.filter(email__iexact=invitation.email).exists():
        context["login_url"] = f"/accounts/login/?next=/invite/{token}/"
        return render(request, "voicemanager/invite/login_first.html", context)
    form = ContractorSignupForm(request.POST or None, invitation_email=invitation.email)
    if request.method == "POST" and form.is_valid():
        try:
            user = accept_as_new_contractor(
                invitation, full_name=form.cleaned_data["full_name"], password=form.cleaned_data["password1"],
                native_languages=form.cleaned_data["native_languages"],
            )
        except InvitationError as exc:
            return refuse(request, str(exc))
        login(request, user, backend=BACKEND)
        return redirect("/booth/")
    context["form"] = form
    return render(request, "voicemanager/invite/signup.html", context)


HANDLERS: dict[str, Callable[[HttpRequest, Invitation, str], HttpResponse]] = {
    Invitation.Kind.CONTRACTOR: contractor_invitation,
}


@never_cache
@sensitive_post_parameters("password1", "password2")
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invitation = Invitation.from_token(token)
    except InvitationError as exc:
        return refuse(request, str(exc))
    handler = HANDLERS.get(invitation.kind)
    if handler is None:
        return refuse(request, "This kind of invitation cannot be accepted here.")
    return handler(request, invitation, token)
