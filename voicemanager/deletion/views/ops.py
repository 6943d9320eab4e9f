"""Operator queue for deletion requests: state, deadline, the identified list, decisions, audit trail.

Staff only (others get 404). The list of instances is shown before anything is deleted;
nothing is deleted until a staff member approves it.
"""
from __future__ import annotations

from django.contrib import messages
from django.db.models import Case, IntegerField, Value, When
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from voicemanager.core.access import get_deletion_request_for_staff, staff_required
from voicemanager.deletion import backup, intake, process
from voicemanager.deletion.forms import DeletionRequestForm
from voicemanager.deletion.report import events, report_url
from voicemanager.models import DeletionRequest

S = DeletionRequest.Status


@staff_required
def queue(request: HttpRequest) -> HttpResponse:
    show = request.GET.get("show", "open")
    qs = DeletionRequest.objects.select_related("organisation")
    if show != "all":
        qs = qs.exclude(status__in=[S.COMPLETED, S.REJECTED])
    qs = qs.annotate(urgent_first=Case(When(urgent=True, then=Value(0)), default=Value(1),
                                       output_field=IntegerField())).order_by("urgent_first", "deadline")
    template = "deletion/ops_queue.html"
    if request.htmx:
        template += "#rows"
    return render(request, template, {"requests": qs, "show": show, "now": timezone.now()})


@staff_required
@require_http_methods(["GET", "POST"])
def new(request: HttpRequest) -> HttpResponse:
    """A request taken by staff (phone, letter): the requester still confirms by email."""
    form = DeletionRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        req = intake.file_request(**form.cleaned_data, submitted_by=request.user, via="staff")
        messages.success(request, f"Request {req.public_id} filed; the confirmation link went to {req.email}.")
        return redirect("ops_deletion_detail", public_id=req.public_id)
    return render(request, "deletion/ops_new.html", {"form": form}, status=400 if form.errors else 200)


@staff_required
def detail(request: HttpRequest, public_id: str) -> HttpResponse:
    req = get_deletion_request_for_staff(request, public_id)
    found = req.found or {}
    context = {
        "req": req, "found": found, "events": events(req),
        "can_approve": req.status == S.IDENTIFIED and not req.approved_at,
        "can_reject": req.status in process.OPEN,
        "can_retry": req.status == S.FAILED,
        "can_restore": backup.restorable(req),
        "stalled": process.stalled(req),
        "report_link": report_url(req) if req.status == S.COMPLETED else "",
        "in_progress": req.status not in process.TERMINAL and not (req.status == S.IDENTIFIED
                                                                  and not req.approved_at),
    }
    template = "deletion/ops_detail.html"
    if request.htmx:
        template += "#state"
    return render(request, template, context)


@staff_required
@require_POST
def approve(request: HttpRequest, public_id: str) -> HttpResponse:
    req = get_deletion_request_for_staff(request, public_id)
    if process.approve(req, request.user):
        messages.success(request, "Approved: " + ("deleting now (urgent, no backup)." if req.urgent
                                                  else "backing up, then deleting."))
    else:
        messages.error(request, "This request is not waiting for approval.")
    return redirect("ops_deletion_detail", public_id=req.public_id)


@staff_required
@require_POST
def reject(request: HttpRequest, public_id: str) -> HttpResponse:
    req = get_deletion_request_for_staff(request, public_id)
    if process.reject(req, request.user, request.POST.get("reason", "").strip()[:500]):
        messages.success(request, "Request rejected; nothing was deleted.")
    else:
        messages.error(request, "Only requests not yet approved for deletion can be rejected.")
    return redirect("ops_deletion_detail", public_id=req.public_id)


@staff_required
@require_POST
def retry(request: HttpRequest, public_id: str) -> HttpResponse:
    req = get_deletion_request_for_staff(request, public_id)
    if process.retry(req, request.user):
        messages.success(request, "Retrying: deletion runs again on what remains, then verification.")
    else:
        messages.error(request, "Only failed requests can be retried.")
    return redirect("ops_deletion_detail", public_id=req.public_id)


@staff_required
@require_POST
def resume(request: HttpRequest, public_id: str) -> HttpResponse:
    req = get_deletion_request_for_staff(request, public_id)
    process.resume(req, request.user)
    messages.success(request, "Queued again for a worker.")
    return redirect("ops_deletion_detail", public_id=req.public_id)


@staff_required
@require_POST
def restore(request: HttpRequest, public_id: str) -> HttpResponse:
    req = get_deletion_request_for_staff(request, public_id)
    if not backup.restorable(req):
        messages.error(request, "There is no backup that can still be restored for this request.")
    else:
        process.restore(req, request.user)
        messages.success(request, "Restoring from the backup; the audit trail shows when it is done.")
    return redirect("ops_deletion_detail", public_id=req.public_id)
