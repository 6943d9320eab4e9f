"""Submit a finished task, or files chosen in the file manager, for professional or instant cloning.

``type=instant`` (the "Instant clone" actions on the task page and in the file manager) makes an
instant voice from the same files with the instant limits; everything else is the same path.

The page shows a pre-flight panel before anything is sent (refreshed by htmx as the admin
changes the language or a file's raw/denoised choice): minutes and MB against the engine's
limits, files that would be discarded and why, QC warnings, missing consent, and the
expected ready date. Submitting goes through ``voicemanager.cloning.voices.request_voice``, which
applies the same checks again (the page is not the gate).
"""
from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from voicemanager.cloning import voices as cloning
from voicemanager.core.access import get_org_for_admin, get_task_for_member, require_admin_of, team_required
from voicemanager.core.languages import LANGUAGE_CHOICES, LANGUAGE_NAMES
from voicemanager.models import AudioFile, RecordingTask, Speaker
from voicemanager.recording import native_language

FINISHED = (RecordingTask.Status.SUBMITTED, RecordingTask.Status.PROCESSING, RecordingTask.Status.REVIEW,
            RecordingTask.Status.READY)
GENDERS = [("female", "Female"), ("male", "Male"), ("neutral", "Neutral / other")]
AGES = [("", "—"), ("young", "Young"), ("middle_aged", "Middle-aged"), ("old", "Old")]


def task_originals(task: RecordingTask) -> list[AudioFile]:
    """The task's submitted takes in section order (the originals; denoised versions hang off them)."""
    from voicemanager.models import Take

    takes = (Take.objects.filter(task=task, status=Take.Status.SUBMITTED, kind=Take.Kind.TAKE,
                                 audio_file__isnull=False)
             .select_related("audio_file", "section").order_by("section__position"))
    files = [t.audio_file for t in takes]
    if not files:
        files = list(AudioFile.objects.filter(task=task, source=AudioFile.Source.BOOTH).order_by("name"))
    return files


def _rows(originals: list[AudioFile], data) -> list[dict]:
    """One row per original with its versions and the chosen one (form value, else forward_variant)."""
    versions: dict[int, list[AudioFile]] = {f.pk: [f] for f in originals}
    for d in AudioFile.objects.filter(derived_from__in=originals, source=AudioFile.Source.DENOISED).order_by("pk"):
        versions[d.derived_from_id].append(d)
    rows = []
    for f in originals:
        options = versions[f.pk]
        by_id = {o.public_id: o for o in options}
        wanted = data.get(f"variant_{f.public_id}") if data is not None else None
        default = f.forward_variant if f.forward_variant_id and f.forward_variant_id in {o.pk for o in options} else f
        rows.append({"original": f, "options": options, "chosen": by_id.get(wanted, default)})
    return rows


def _form_values(request: HttpRequest, task: RecordingTask | None) -> dict:
    data = request.POST if request.method == "POST" else request.GET
    language = data.get("language") or (task.script.language if task else "en")
    if language not in LANGUAGE_NAMES:
        language = "en"
    return {
        "alias": data.get("alias", "").strip(),
        "language": language,
        "gender": data.get("gender") if data.get("gender") in dict(GENDERS) else "female",
        "age": data.get("age") if data.get("age") in dict(AGES) else "",
        "accent": data.get("accent", "").strip()[:100],
        "description": data.get("description", "").strip()[:500],
    }


def _voice_type(request: HttpRequest) -> str:
    """``type=instant`` (the "Instant clone" actions) or professional (the default)."""
    data = request.POST if request.method == "POST" else request.GET
    return "instant" if data.get("type") == "instant" else "professional"


def _page(request: HttpRequest, org, originals: list[AudioFile], task: RecordingTask | None) -> HttpResponse:
    voice_type = _voice_type(request)
    data = request.POST if request.method == "POST" else None
    rows = _rows(originals, data)
    values = _form_values(request, task)
    chosen = [r["chosen"] for r in rows]
    speaker = task.speaker if task else None
    error = None
    # Files from the file manager: the admin names whose voice it is (a voice owner who consents by email).
    speaker_id = (request.POST if request.method == "POST" else request.GET).get("speaker", "") if not task else ""
    if task is None:
        try:
            speaker = cloning.resolve_speaker(org, chosen, speaker_id=speaker_id or None)
        except cloning.CloningError as exc:
            error = exc.message
    language_warning = native_language.language_warning(speaker, values["language"])
    warning_ticked = bool((request.POST if request.method == "POST" else {}).get("accept_language_warning"))
    override_ticked = bool((request.POST if request.method == "POST" else {}).get("override_speaker_mismatch"))
    include = (request.POST if request.method == "POST" else request.GET).getlist("include_flagged")
    pre = cloning.preflight(org, chosen, voice_type=voice_type, language=values["language"], task=task,
                            speaker=speaker, include_flagged_ids=include, user=request.user)
    if request.method == "POST" and request.POST.get("action") == "submit":
        metadata = {k: values[k] for k in ("gender", "age", "accent", "description") if values[k]}
        try:
            if language_warning and not warning_ticked:
                raise cloning.CloningError(422, "language_warning", language_warning + " Tick the box to go ahead.")
            voice = cloning.request_voice(org, request.user, files=chosen, alias=values["alias"],
                                          voice_type=voice_type, language=values["language"],
                                          metadata=metadata, task=task, speaker_id=speaker_id or None,
                                          accept_language_warning=warning_ticked, include_flagged_ids=include,
                                          override_speaker_mismatch=override_ticked)
        except cloning.CloningError as exc:
            error = exc.message
        else:
            for row in rows:  # remember the choice for next time
                f = row["original"]
                variant = None if row["chosen"].pk == f.pk else row["chosen"]
                if f.forward_variant_id != (variant.pk if variant else None):
                    AudioFile.objects.filter(pk=f.pk).update(forward_variant=variant)
            messages.success(request, f"Voice {voice.alias} was submitted for {voice_type} cloning.")
            return redirect("voice_detail", voice_id=voice.public_id)
    context = {"org": org, "task": task, "rows": rows, "values": values, "pre": pre, "error": error,
               "voice_type": voice_type,
               "languages": LANGUAGE_CHOICES, "genders": GENDERS, "ages": AGES,
               "language_name": LANGUAGE_NAMES.get(values["language"], values["language"]),
               "language_warning": language_warning, "warning_ticked": warning_ticked, "speaker": speaker,
               "override_ticked": override_ticked,
               "speaker_id": speaker_id,
               "voice_owners": Speaker.objects.filter(kind=Speaker.Kind.VOICE_OWNER, organisation=org)
               .order_by("full_name")}
    template = "voicemanager/voices/clone.html"
    if request.htmx and request.POST.get("action") != "submit":
        template += "#preflight"
    return render(request, template, context, status=422 if error and request.method == "POST" else 200)


@team_required
@require_http_methods(["GET", "POST"])
def clone_task(request: HttpRequest, task_id: str) -> HttpResponse:
    task = get_task_for_member(request, task_id)
    require_admin_of(request, task.organisation)
    if task.status not in FINISHED:
        messages.warning(request, "The task is not finished yet: every section needs a submitted take first.")
        return render(request, "voicemanager/voices/clone.html", {"task": task, "org": task.organisation,
                                                                  "not_finished": True})
    return _page(request, task.organisation, task_originals(task), task)


@team_required
@require_http_methods(["GET", "POST"])
def clone_files(request: HttpRequest) -> HttpResponse:
    data = request.POST if request.method == "POST" else request.GET
    org = get_org_for_admin(request, data.get("org", ""))
    ids = data.getlist("files")
    files = list(AudioFile.objects.for_org(org).filter(public_id__in=ids[:500]).exclude(
        source__in=[AudioFile.Source.CONSENT, AudioFile.Source.ROOM_TONE]).order_by("path", "name"))
    if not files:
        raise Http404("Choose files of this organisation first.")
    # a denoised file chosen directly stands for its original (the row offers both)
    originals = list({(f.derived_from or f).pk: (f.derived_from or f) for f in files}.values())
    return _page(request, org, originals, None)
