"""Public deletion requests: the form, the emailed confirmation link and the report download.

Filing changes nothing but an unconfirmed request; the confirmation page acts on POST only
(mail scanners open links with GET), and the answer never tells whether an organisation
or a voice exists.
"""
from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_http_methods

from voicemanager.core import throttle
from voicemanager.deletion import intake
from voicemanager.deletion.forms import DeletionRequestForm
from voicemanager.deletion.report import request_from_report_token

THROTTLED = "deletion.request_form_sent"


@require_http_methods(["GET", "POST"])
def forget_form(request: HttpRequest) -> HttpResponse:
    form = DeletionRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        if not throttle.allowed(THROTTLED, request, email):
            return render(request, "deletion/forget_form.html", {"form": form, "throttled": True}, status=429)
        throttle.record(THROTTLED, request, email)
        intake.file_request(**form.cleaned_data, via="public")
        return redirect("forget_sent")
    return render(request, "deletion/forget_form.html", {"form": form}, status=400 if form.errors else 200)


def forget_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "deletion/forget_sent.html")


@require_http_methods(["GET", "POST"])
def forget_confirm(request: HttpRequest, token: str) -> HttpResponse:
    try:
        req = intake.request_from_token(token)
        if request.method == "POST":
            req = intake.confirm(token, ip=request.META.get("REMOTE_ADDR"))
            return render(request, "deletion/forget_confirmed.html", {"req": req})
    except intake.ConfirmError as exc:
        return render(request, "deletion/forget_invalid.html", {"message": str(exc)}, status=400)
    return render(request, "deletion/forget_confirm.html", {"req": req})


def forget_report(request: HttpRequest, token: str) -> HttpResponse:
    """The HTML report behind the signed link; ``?download=1`` saves it as a file."""
    req = request_from_report_token(token)
    if req is None:
        raise Http404("This report link is not valid.")
    html = render_to_string("deletion/report.html", {"req": req, "report": req.report})
    response = HttpResponse(html, content_type="text/html; charset=utf-8")
    if request.GET.get("download"):
        response["Content-Disposition"] = f'attachment; filename="deletion-report-{req.public_id}.html"'
    return response
