"""Public deletion requests: the form, the request's status page, the emailed confirmation link, the report.

Filing changes nothing but an unconfirmed request; the confirmation page acts on POST only
(mail scanners open links with GET), and the answers never tell whether an organisation,
a voice or a person exists. A logged-in talent (the booth's link) gets the form filled in.
"""
from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_http_methods

from voicemanager.core import throttle
from voicemanager.deletion import intake, report, wording
from voicemanager.deletion.forms import DeletionRequestForm
from voicemanager.deletion.report import request_from_report_token

THROTTLED = "deletion.request_form_sent"


@require_http_methods(["GET", "POST"])
def forget_form(request: HttpRequest) -> HttpResponse:
    initial = DeletionRequestForm.initial_for(request.user)
    form = DeletionRequestForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        if not throttle.allowed(THROTTLED, request, email):
            return render(request, "deletion/forget_form.html", {"form": form, "prefilled": bool(initial),
                                                                 "throttled": True}, status=429)
        throttle.record(THROTTLED, request, email)
        filer = request.user if request.user.is_authenticated and not request.user.is_staff else None
        req = intake.file_request(**form.cleaned_data, submitted_by=filer, via="booth" if filer else "public")
        return redirect("forget_status", token=intake.make_status_token(req))
    return render(request, "deletion/forget_form.html", {"form": form, "prefilled": bool(initial)},
                  status=400 if form.errors else 200)


def forget_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "deletion/forget_sent.html")


def forget_status(request: HttpRequest, token: str) -> HttpResponse:
    """Where the form lands: says whether the confirmation email went, and what happens next."""
    req = intake.request_from_status_token(token)
    if req is None:
        raise Http404("This link is not valid.")
    return render(request, "deletion/forget_sent.html", {"req": req})


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
    built = report.build(req)
    saved = req.report if req.report.get("found") else built  # the report as emailed (older rows: rebuilt)
    context = report.context(req, {**saved, "appendix": built["appendix"]})  # appendix: up to the report itself
    context["generated_at"] = wording.when(saved.get("generated_at"))
    html = render_to_string("deletion/report.html", context)
    response = HttpResponse(html, content_type="text/html; charset=utf-8")
    if request.GET.get("download"):
        response["Content-Disposition"] = f'attachment; filename="deletion-report-{req.public_id}.html"'
    return response
