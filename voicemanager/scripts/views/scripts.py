"""Scripts: list, create (paste or upload, preview, save) and the section editor (htmx partials)."""
from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from voicemanager.core.access import (
    admin_organisations,
    get_script_for_member,
    require_admin_of,
    team_required,
    user_organisations,
)
from voicemanager.core.languages import LANGUAGE_CHOICES, LANGUAGE_NAMES
from voicemanager.models import Script
from voicemanager.scripts import editing as script_editing
from voicemanager.scripts.forms import ScriptDetailsForm, ScriptImportForm
from voicemanager.scripts.importing import ParsedSection, ScriptImportError, review

DETAIL = "voicemanager/scripts/detail.html"


@team_required
def script_list(request: HttpRequest) -> HttpResponse:
    scripts = (
        Script.objects.filter(organisation__in=user_organisations(request.user)).current()
        .select_related("organisation").annotate(n_sections=Count("sections", distinct=True),
                                                 n_tasks=Count("recording_tasks", distinct=True))
        .order_by("-created_at")
    )
    can_create = admin_organisations(request.user).exists()
    return render(request, "voicemanager/scripts/list.html",
                  {"scripts": scripts, "can_create": can_create, "language_names": LANGUAGE_NAMES})


@team_required
def script_new(request: HttpRequest) -> HttpResponse:
    """Step 1 (paste/upload) → step 2 (preview with warnings, sections still editable) → save."""
    organisations = list(admin_organisations(request.user).order_by("name"))
    if not organisations:
        raise PermissionDenied("Only an organisation admin can create scripts.")
    step = request.POST.get("step", "") if request.method == "POST" else ""
    if step in ("recheck", "save"):
        return _preview_or_save(request, organisations, save=step == "save")
    form = ScriptImportForm(request.POST or None, request.FILES or None, organisations=organisations)
    if step == "preview" and form.is_valid():
        return _render_preview(request, form.organisation_obj(), form.cleaned_data["title"],
                               form.cleaned_data["language"], form.parsed.sections)
    return render(request, "voicemanager/scripts/new.html", {"form": form})


def _preview_or_save(request: HttpRequest, organisations, *, save: bool) -> HttpResponse:
    org = {o.public_id: o for o in organisations}.get(request.POST.get("organisation", ""))
    if org is None:
        raise PermissionDenied("Choose one of your organisations.")
    texts = request.POST.getlist("section")
    ids = request.POST.getlist("section_id")
    ids += [""] * (len(texts) - len(ids))
    sections = [ParsedSection(t, i) for t, i in zip(texts, ids, strict=False)]
    title, language = request.POST.get("title", ""), request.POST.get("language", "")
    if save:
        try:
            script = script_editing.create_script(organisation=org, title=title, language=language,
                                                  sections=sections, actor=request.user)
        except ScriptImportError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"Script “{script.title}” saved with {script.sections.count()} sections.")
            return redirect("script_detail", script_id=script.public_id)
    return _render_preview(request, org, title, language, [s for s in sections if s.text.strip()])


def _render_preview(request, org, title, language, sections) -> HttpResponse:
    result = review([s.text for s in sections], language)
    rows = [(s, result.for_section(i)) for i, s in enumerate(sections)]
    return render(request, "voicemanager/scripts/preview.html", {
        "org": org, "title": title, "language": language, "rows": rows, "review": result,
        "language_choices": LANGUAGE_CHOICES,
    })


def _detail_context(request: HttpRequest, script: Script) -> dict:
    sections = list(script.sections.order_by("position"))
    result = review([s.text for s in sections], script.language)
    newer = Script.objects.filter(previous_version=script).first()
    is_admin = request.user.is_staff or script.organisation.is_admin(request.user)
    return {
        "script": script, "rows": [(s, result.for_section(i)) for i, s in enumerate(sections)], "review": result,
        "newer": newer, "is_assigned": script.is_assigned, "can_edit": is_admin and newer is None,
        "is_admin": is_admin, "details_form": ScriptDetailsForm(initial={"title": script.title,
                                                                         "language": script.language}),
        "language_name": LANGUAGE_NAMES.get(script.language, script.language),
        "tasks": script.recording_tasks.select_related("speaker").order_by("-created_at")[:50],
    }


@team_required
def script_detail(request: HttpRequest, script_id: str) -> HttpResponse:
    script = get_script_for_member(request, script_id)
    template = DETAIL + "#sections" if request.htmx else DETAIL
    return render(request, template, _detail_context(request, script))


def _after_edit(request: HttpRequest, before: Script, after: Script) -> HttpResponse:
    """Same script: re-render the sections partial. New version: send the browser to it."""
    if after.pk != before.pk:
        messages.info(request, f"This script is already assigned, so your edit created version {after.version}. "
                               "Contractors keep recording the version they were given.")
        url = reverse("script_detail", kwargs={"script_id": after.public_id})
        return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
    if request.htmx:
        return render(request, DETAIL + "#sections", _detail_context(request, after))
    return redirect("script_detail", script_id=after.public_id)


def _editable(request: HttpRequest, script_id: str) -> Script:
    script = get_script_for_member(request, script_id)
    require_admin_of(request, script.organisation)
    return script


def _run(request: HttpRequest, script: Script, edit, *args) -> HttpResponse:
    try:
        after = edit(script, *args, actor=request.user)
    except ScriptImportError as exc:
        if request.htmx:
            context = _detail_context(request, script)
            context["edit_error"] = str(exc)
            return render(request, DETAIL + "#sections", context)
        messages.error(request, str(exc))
        return redirect("script_detail", script_id=script.public_id)
    return _after_edit(request, script, after)


@team_required
def section_edit(request: HttpRequest, script_id: str, position: int) -> HttpResponse:
    """GET: the inline edit form for one section. POST: save it (blank lines split it)."""
    script = _editable(request, script_id)
    if request.method == "POST":
        return _run(request, script, script_editing.edit_section, position, request.POST.get("text", ""))
    section = script.sections.filter(position=position).first()
    if section is None:
        return redirect("script_detail", script_id=script.public_id)
    return render(request, "voicemanager/scripts/section_form.html", {"script": script, "section": section})


@team_required
@require_POST
def section_action(request: HttpRequest, script_id: str, position: int, action: str) -> HttpResponse:
    script = _editable(request, script_id)
    if action == "merge":
        return _run(request, script, script_editing.merge_with_next, position)
    if action == "split":
        return _run(request, script, script_editing.split_section, position)
    if action in ("up", "down"):
        return _run(request, script, script_editing.move_section, position, -1 if action == "up" else 1)
    if action == "delete":
        return _run(request, script, script_editing.delete_section, position)
    return redirect("script_detail", script_id=script.public_id)


@team_required
@require_POST
def section_add(request: HttpRequest, script_id: str) -> HttpResponse:
    script = _editable(request, script_id)
    return _run(request, script, script_editing.add_sections, request.POST.get("text", ""))


@team_required
@require_POST
def script_details(request: HttpRequest, script_id: str) -> HttpResponse:
    """Rename or change the language; an assigned script gets a new version for a language change."""
    script = _editable(request, script_id)
    form = ScriptDetailsForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give a title and a supported language.")
        return redirect("script_detail", script_id=script.public_id)
    try:
        after = script_editing.update_details(script, form.cleaned_data["title"], form.cleaned_data["language"],
                                              actor=request.user)
    except ScriptImportError as exc:
        messages.error(request, str(exc))
        return redirect("script_detail", script_id=script.public_id)
    if after.pk != script.pk:
        return _after_edit(request, script, after)
    messages.success(request, "Saved.")
    return redirect("script_detail", script_id=script.public_id)
