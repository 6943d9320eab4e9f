"""Managed service: staff act for an organisation (create a script from the client's text, see its tasks).

Everything done here is recorded with the staff actor, so the audit log marks it
``by_staff``; scripts get ``created_by_staff`` (``script_editing.create_script``).
"""
from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from voicemanager.cloning import credits
from voicemanager.core import audit
from voicemanager.core.access import get_org_for_staff, staff_required
from voicemanager.models import AuditEvent, Organisation, RecordingTask, Script
from voicemanager.scripts.editing import create_script
from voicemanager.scripts.forms import StaffScriptForm
from voicemanager.scripts.importing import ScriptImportError, split_text


@staff_required
def ops_orgs(request: HttpRequest) -> HttpResponse:
    orgs = Organisation.objects.order_by("name")
    rows = [(org, credits.balance(org), RecordingTask.objects.for_org(org).open().count()) for org in orgs]
    return render(request, "voicemanager/team/ops_orgs.html", {"rows": rows})


@staff_required
def ops_org(request: HttpRequest, org_id: str) -> HttpResponse:
    """An organisation's scripts and tasks as an operator sees them; the visit is audited."""
    org = get_org_for_staff(request, org_id)
    tasks = (RecordingTask.objects.for_org(org).with_progress().select_related("script", "speaker")
             .order_by("-created_at"))
    audit.record("staff.org_tasks_viewed", actor=request.user, organisation=org, target=org)
    context = {
        "org": org,
        "tasks": tasks,
        "scripts": Script.objects.for_org(org).current().order_by("-created_at"),
        "staff_events": AuditEvent.objects.filter(organisation=org, by_staff=True)[:30],
    }
    return render(request, "voicemanager/team/ops_org.html", context)


@staff_required
def ops_script_create(request: HttpRequest, org_id: str) -> HttpResponse:
    org = get_org_for_staff(request, org_id)
    form = StaffScriptForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            sections = split_text(data["text"], data["split"])
            script = create_script(organisation=org, title=data["title"], language=data["language"],
                                   sections=sections, actor=request.user, via="staff")
        except ScriptImportError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Script “{script.title}” created for {org.name} with "
                                      f"{script.sections.count()} sections (marked as created by staff).")
            return redirect("ops_org", org_id=org.public_id)
    return render(request, "voicemanager/team/ops_script_new.html", {"org": org, "form": form},
                  status=400 if form.errors else 200)
