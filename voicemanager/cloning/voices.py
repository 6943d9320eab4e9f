"""The cloning flow: request a voice → package the set (worker) → forward it → track its stage.

``request_voice`` is the one way a voice is created (browser and API). It checks, in
order: alias, engine/type, language, the files (same organisation), the engine's limits,
the consent gate, the native-language warning (must be accepted) and credits, then creates the ``Voice`` and queues
``tasks.cloning.package_voice`` when the transaction commits. Problems raise
``CloningError`` (an HTTP-like status, a machine-readable code and a message for a person).

``advance_stage`` moves a forwarded voice through received → training → ready (or failed),
for the operator queue and for signed provider callbacks alike.
"""
from __future__ import annotations

import re
from datetime import date, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from voicemanager.cloning import credits, engines
from voicemanager.cloning import gate as quality_gate
from voicemanager.cloning.models import NEXT_STAGES, StageError  # noqa: F401 (re-exported for the views)
from voicemanager.consent.gate import check_consent
from voicemanager.core import audit, outbox
from voicemanager.core.emails import email_job, send_after_commit, send_templated_email
from voicemanager.core.languages import LANGUAGE_NAMES
from voicemanager.core.links import site_url
from voicemanager.models import AudioFile, Speaker, Voice
from voicemanager.quality import checks as voice_checks
from voicemanager.recording import native_language

ALIAS_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
MAX_METADATA_CHARS = 4000


class CloningError(Exception):
    def __init__(self, status: int, code: str, message: str, **extra):
        super().__init__(message)
        self.status, self.code, self.message, self.extra = status, code, message, extra


# --- dates -------------------------------------------------------------------------------------


def add_working_days(start: date, days: int) -> date:
    day = start
    while days > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            days -= 1
    return day


def expected_ready(language: str, submitted: date | None = None) -> tuple[date, date]:
    """English: 2 working days after submission; other languages: 3 to 4 (the later date is stored)."""
    submitted = submitted or timezone.localdate()
    if language == "en":
        day = add_working_days(submitted, 2)
        return day, day
    return add_working_days(submitted, 3), add_working_days(submitted, 4)


# --- facts about the files ---------------------------------------------------------------------


def _section_orders(files: list[AudioFile]) -> dict[int, tuple]:
    """Section position of each booth file (or of the original a denoised file came from)."""
    from voicemanager.models import Take

    originals = {f.pk: (f.derived_from_id or f.pk) for f in files}
    positions = dict(
        Take.objects.filter(audio_file_id__in=set(originals.values()), section__isnull=False)
        .values_list("audio_file_id", "section__position")
    )
    return {pk: (positions.get(orig, 10**9),) for pk, orig in originals.items()}


def file_facts(files: list[AudioFile]) -> list[engines.FileFacts]:
    orders = _section_orders(files)
    return [
        engines.FileFacts(
            file_id=f.public_id, duration_s=f.duration, size=f.size,
            group=str(f.task_id) if f.task_id and f.source in (AudioFile.Source.BOOTH, AudioFile.Source.DENOISED)
            else None,
            order=orders.get(f.pk, ()) + (f.name,),
        )
        for f in files
    ]


def qc_warnings(files: list[AudioFile]) -> list[dict]:
    """Warnings and failures from each file's QC verdicts (analysis by the audio workers)."""
    out = []
    for f in files:
        qc = f.qc or {}
        for verdict in qc.get("verdicts", []) or []:
            if isinstance(verdict, dict) and verdict.get("level") in ("warn", "fail"):
                out.append({"fileId": f.public_id, "name": f.name, "level": verdict["level"],
                            "title": verdict.get("title") or verdict.get("code", ""),
                            "reason": verdict.get("reason", "")})
        if f.analysis_state == AudioFile.Analysis.FAILED:
            out.append({"fileId": f.public_id, "name": f.name, "level": "fail", "title": "Analysis failed",
                        "reason": f.analysis_error})
    return out


def resolve_speaker(org, files: list[AudioFile], task=None, speaker_id: str | None = None) -> Speaker | None:
    """Whose voice this is: the task's speaker, a named speaker of the organisation, or the files' one speaker."""
    if task is not None:
        return task.speaker
    if speaker_id:
        speaker = (Speaker.objects.filter(public_id=str(speaker_id))
                   .filter(models_q_speaker_of(org)).distinct().first())
        if speaker is None:
            raise CloningError(404, "speaker_not_found", f"No speaker {speaker_id!r} in this organisation.")
        return speaker
    ids = {f.speaker_id or (f.task.speaker_id if f.task_id and f.task else None) for f in files}
    ids.discard(None)
    if len(ids) == 1:
        return Speaker.objects.filter(pk=ids.pop()).first()
    if len(ids) > 1:
        raise CloningError(422, "mixed_speakers", "The files belong to more than one speaker; a voice is one speaker.")
    return None


def models_q_speaker_of(org):
    from django.db.models import Q

    return Q(organisation=org) | Q(recording_tasks__organisation=org)


# --- the pre-flight and the request --------------------------------------------------------------


def preflight(org, files: list[AudioFile], *, voice_type: str, engine: str = engines.DEFAULT_ENGINE,
              language: str = "en", task=None, speaker=None, include_flagged_ids: list[str] | None = None,
              user=None) -> dict:
    """Everything the admin should see before sending: usable files, limits, discards, QC, consent, dates.

    Only files past the quality gate count towards the limits; the others are listed with
    their reasons. A set that cannot be submitted shows its shortfall and no ready date.
    """
    gate = quality_gate.apply(files, qc_decisions(files, include_flagged(files, include_flagged_ids or [], user)))
    ev = engines.evaluate(file_facts(gate.usable), engine, voice_type)
    earliest, latest = expected_ready(language)
    consent = check_consent(speaker, task=task, organisation=org)
    names = {f.public_id: f.name for f in files}
    discarded = [{**d, "name": names.get(d.get("fileId"), "")} for d in gate.discarded + ev.discarded]
    short = next((e for e in ev.set_errors if e["code"] == "set_too_short"), None)
    return {
        "evaluation": ev,
        "gate": gate,
        "discarded": discarded,
        "discarded_groups": group_discards(discarded),
        "shortfall": short["message"] if short else "",
        "n_usable": len(gate.usable),
        "n_files": len(files),
        "limits": ev.limits,
        "total_minutes": ev.total_s / 60,
        "total_mb": ev.total_bytes / engines.MB,
        "min_total_minutes": ev.limits.min_total_s / 60,
        "max_total_mb": ev.limits.max_total_bytes / engines.MB,
        "joined": [m for m in ev.members if m.joined],
        "qc_warnings": qc_warnings(gate.usable),
        "consent_reasons": consent,
        "speaker_mismatches": voice_checks.speaker_mismatches(files),
        "expected_earliest": earliest,
        "expected_latest": latest,
        "ok": ev.ok and not consent,
    }


def group_discards(discarded: list[dict]) -> list[dict]:
    """One line per reason ("5 files: You have 0.5 of the 30 minutes needed."), not one per file."""
    groups: dict[tuple, dict] = {}
    for d in discarded:
        key = (d.get("code"), d.get("reason"))
        groups.setdefault(key, {"code": d.get("code"), "reason": d.get("reason"), "files": []})["files"].append(d)
    return list(groups.values())


def qc_decisions(files: list[AudioFile], included: list[dict] | None = None) -> dict[int, dict]:
    """Who let a flagged file through, by original file pk: a reviewer approved the take, or an admin
    included the file on purpose (``included``: ``Voice.qc_included`` entries)."""
    from voicemanager.recording import reviews

    out = reviews.qc_decisions(files)
    by_public = {f.public_id: f for f in files}
    for entry in included or []:
        audio = by_public.get(entry.get("fileId"))
        if audio is not None:
            out.setdefault(audio.derived_from_id or audio.pk, {"kind": "included", **{
                k: entry.get(k, "") for k in ("by", "at", "note")}})
    return out


def include_flagged(files: list[AudioFile], wanted: list[str], user) -> list[dict]:
    """An admin's choice to send flagged files anyway: the entries stored on the voice (and audited)."""
    wanted_set = set(wanted or [])
    flagged = {f["fileId"] for f in quality_gate.apply(files, qc_decisions(files)).flagged}
    by = (user.email if getattr(user, "is_authenticated", False) else "") or "unknown"
    now = timezone.now().isoformat()
    return [{"fileId": fid, "by": by, "at": now, "note": "included on purpose despite failed QC"}
            for fid in sorted(wanted_set & flagged)]


def _check_common(org, alias: str, engine: str, voice_type: str, language: str, metadata) -> None:
    if not isinstance(alias, str) or not ALIAS_RE.match(alias):
        raise CloningError(422, "invalid_alias", "The alias must be 1-100 letters, digits, '.', '_' or '-', "
                           "starting with a letter or digit.")
    if engine not in engines.ENGINES:
        raise CloningError(400, "unknown_engine", f"Unknown engine {engine!r}. Known engines: "
                           f"{', '.join(engines.ENGINES)}.")
    if voice_type not in engines.ENGINES[engine]:
        raise CloningError(400, "unknown_type", f"Unknown type {voice_type!r}; use instant or professional.")
    if language not in LANGUAGE_NAMES:
        raise CloningError(422, "unsupported_language", f"Language {language!r} is not in the professional "
                           "cloning list.")
    if not isinstance(metadata, dict) or len(str(metadata)) > MAX_METADATA_CHARS:
        raise CloningError(422, "invalid_metadata", "metadata must be a JSON object of at most 4000 characters.")
    if Voice.objects.filter(alias__iexact=alias).exists():
        raise CloningError(409, "alias_taken", f"The alias {alias!r} is already used; aliases are unique across "
                           "all organisations.")


def request_voice(org, user, *, files: list[AudioFile], alias: str, engine: str = engines.DEFAULT_ENGINE,
                  voice_type: str = "instant", language: str | None = None, metadata: dict | None = None,
                  task=None, speaker_id: str | None = None, accept_language_warning: bool = False,
                  actor_label: str = "", include_flagged_ids: list[str] | None = None,
                  override_speaker_mismatch: bool = False) -> Voice:
    """Create a voice request and queue its packaging; raise ``CloningError`` and change nothing if refused.

    ``actor_label`` names a non-user actor (an API key) in the audit log. ``include_flagged_ids``:
    files that failed QC which the admin sends on purpose (stored on the voice, audited). Files whose
    voice was judged "different" from the consent recording refuse the set (422 ``speaker_mismatch``)
    unless an admin of the organisation overrides it (``override_speaker_mismatch``, audited).
    """
    metadata = dict(metadata or {})
    language = language or (task.script.language if task is not None else "en")
    _check_common(org, alias, engine, voice_type, language, metadata)
    if any(f.organisation_id != org.pk for f in files):
        raise CloningError(404, "file_not_found", "Some files do not exist in this organisation.")
    if not files:
        raise CloningError(422, "no_files", "Choose at least one file.")
    speaker = resolve_speaker(org, files, task=task, speaker_id=speaker_id or metadata.pop("speakerId", None))
    included = include_flagged(files, include_flagged_ids or [], user)
    gate = quality_gate.apply(files, qc_decisions(files, included))
    ev = engines.evaluate(file_facts(gate.usable), engine, voice_type)
    discarded = gate.discarded + ev.discarded
    if not ev.ok:
        first = ev.set_errors[0]
        raise CloningError(422, first["code"], first["message"], discardedFiles=discarded)
    reasons = check_consent(speaker, task=task, organisation=org)
    if reasons:
        raise CloningError(422, "consent_missing", "Consent is missing: " + " ".join(reasons), reasons=reasons)
    mismatches = voice_checks.speaker_mismatches(files)
    if mismatches and not (override_speaker_mismatch and org.is_admin(user)):
        raise CloningError(422, "speaker_mismatch", voice_checks.mismatch_message(mismatches), files=mismatches)
    warning = native_language.language_warning(speaker, language)
    if warning and not accept_language_warning:
        raise CloningError(409, "language_warning", warning, warning=warning)
    _, latest = expected_ready(language)
    try:
        with transaction.atomic():
            _check_credits(org, voice_type)
            voice = Voice.objects.create(
                organisation=org, alias=alias, engine=engine, type=voice_type, language=language,
                metadata=metadata, files_used=ev.used, discarded_files=discarded, task=task, speaker=speaker,
                qc_included=[i for i in included if i["fileId"] in ev.used],
                expected_ready_at=latest, provider=settings.CLONING_PROVIDER,
                created_by=user if getattr(user, "is_authenticated", False) else None,
                speaker_mismatch_overridden_by=user if mismatches else None,
            )
            if mismatches:
                audit.record("voice.speaker_mismatch_overridden", actor=user, organisation=org, target=voice,
                             files=[m["fileId"] for m in mismatches],
                             similarities=[m["similarity"] for m in mismatches])
            audit.record("voice.requested", actor=user, organisation=org, target=voice, alias=alias,
                         type=voice_type, files=ev.used, discarded=[d["fileId"] for d in discarded],
                         qc_discarded={d["fileId"]: d["code"] for d in gate.discarded},
                         flagged_included=[{"fileId": i["fileId"], "codes": i["codes"], **i["decision"]}
                                           for i in gate.included],
                         actor_label=actor_label)
            for item in voice.qc_included:
                audit.record("file.qc_included", actor=user, organisation=org, target_type="voicemanager.AudioFile",
                             target_id=item["fileId"], voice=voice.public_id,
                             codes=next((i["codes"] for i in gate.included if i["fileId"] == item["fileId"]), []))
            if warning:
                native_language.record_warning_accepted(voice, speaker, language, user, organisation=org,
                                                        actor_label=actor_label)
            outbox.enqueue("tasks.cloning.package_voice", voice.pk)
    except IntegrityError:
        raise CloningError(409, "alias_taken", f"The alias {alias!r} is already used.") from None
    return voice


def _check_credits(org, voice_type: str) -> None:
    check = getattr(credits, "check_can_create", None)
    if check is None:
        return
    try:
        check(org, voice_type)
    except getattr(credits, "InsufficientCredits", ()) as exc:
        raise CloningError(402, "insufficient_credits", str(exc)) from None


# --- stages after forwarding -------------------------------------------------------------------



def advance_stage(voice: Voice, stage: str, *, reason: str = "", actor=None, provider_ref: str = "") -> Voice:
    """Move a forwarded voice on; ready → succeeded (charge, email admins), failed keeps the reason."""
    with transaction.atomic():
        locked = Voice.objects.get(pk=voice.pk)
        if not locked.advance(stage, reason=reason, provider_ref=provider_ref):
            return locked  # a repeated callback or double click changes nothing
        audit.record(f"voice.{stage}", actor=actor, organisation=locked.organisation, target=locked,
                     reason=reason.strip()[:500])
        if stage == Voice.Stage.READY:
            credits.on_voice_succeeded(locked)
            send_after_commit(notify_voice_ready, locked.pk)
    return locked


@email_job
def notify_voice_ready(voice_pk: int) -> None:
    voice = Voice.objects.select_related("organisation").filter(pk=voice_pk).first()
    if voice is None:
        return
    admins = voice.organisation.admin_emails()
    if not admins:
        return
    ctx = {"voice": voice, "url": site_url("voice_detail", voice.public_id)}
    send_templated_email("voice_ready", ctx, admins)


def voice_state(voice: Voice) -> dict:
    """The API's view of a voice."""
    return {
        "voiceId": voice.public_id,
        "alias": voice.alias,
        "status": voice.status,
        "stage": voice.stage,
        "engine": voice.engine,
        "type": voice.type,
        "language": voice.language,
        "metadata": voice.metadata,
        "filesUsed": list(voice.files_used),
        "discardedFiles": [{"fileId": d.get("fileId"), "reason": d.get("reason"), "code": d.get("code")}
                           for d in voice.discarded_files],
        "failureReason": voice.failure_reason or None,
        "expectedReadyAt": voice.expected_ready_at.isoformat() if voice.expected_ready_at else None,
        "createdAt": voice.created_at.isoformat(),
        "succeededAt": voice.succeeded_at.isoformat() if voice.succeeded_at else None,
    }
