"""Whose voice is it, and is it drifting: the flow around ``VoiceCheck``.

Every take with a known speaker is compared with that speaker's spoken consent recording:
booth takes (``queue_for_take``, when the take is stored) and file-manager or API uploads
with a ``speakerId`` (``queue_for_file``). The check row is created in the transaction
that stores the recording and its job goes through the outbox; ``run_check`` (the worker,
``tasks.voice.check_voice``) claims it, embeds the recording (tasks.audio.speaker), takes
the drift measures (tasks.audio.drift) against the talent's reference takes, and stores
the verdict and the warnings.

Reference takes for drift: the takes an admin marked as reference on the quality report,
or else the first ``REFERENCE_TAKES`` checked takes of the task (for uploads: of the
speaker in the organisation), recorded before this one.

The consent gate (``speaker_mismatches``) refuses a set with any file judged "different";
"unsure" is shown to the admin but does not block, and a check that could not run (no
consent recording yet, no speech) never blocks on its own.
"""
from __future__ import annotations

import logging
import tempfile
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from tasks.audio import drift, speaker
from tasks.audio.adherence.text import words as split_words
from tasks.audio.decode import AudioRejected
from tasks.audio.qc import speech_span as qc_speech_span
from voicemanager.core import outbox
from voicemanager.models import AudioFile, ConsentRecording, VoiceCheck

log = logging.getLogger(__name__)

REFERENCE_TAKES = 5
JOB = "tasks.voice.check_voice"


def model_path() -> Path:
    return Path(getattr(settings, "SPEAKER_MODEL", speaker.DEFAULT_MODEL))


# --- queueing ------------------------------------------------------------------------------------

def queue_for_take(take) -> VoiceCheck | None:
    """A check for a booth script take (call inside the transaction that stores it)."""
    task = take.task
    if take.kind != "take" or task.speaker_id is None:
        return None
    check, created = VoiceCheck.objects.get_or_create(
        take=take, defaults={"organisation_id": task.organisation_id, "speaker_id": task.speaker_id,
                             "task": task, "recorded_at": take.created_at})
    if created:
        outbox.enqueue(JOB, check.pk)
    return check


def queue_for_file(audio: AudioFile) -> VoiceCheck | None:
    """A check for an uploaded file of a named speaker (call inside the transaction that stores it)."""
    if audio.speaker_id is None or audio.source != AudioFile.Source.UPLOAD:
        return None
    check, created = VoiceCheck.objects.get_or_create(
        audio_file=audio, defaults={"organisation_id": audio.organisation_id, "speaker_id": audio.speaker_id,
                                    "task_id": audio.task_id, "recorded_at": audio.created_at})
    if created:
        outbox.enqueue(JOB, check.pk)
    return check


# --- the check -----------------------------------------------------------------------------------

def reference_recording(check: VoiceCheck) -> ConsentRecording | None:
    """The consent recording to compare with: the task's, else the speaker's latest for the organisation."""
    recordings = ConsentRecording.objects.select_related("audio").filter(speaker_id=check.speaker_id)
    if check.task_id:
        found = recordings.filter(task_id=check.task_id).order_by("-created_at").first()
        if found is not None:
            return found
    return recordings.filter(organisation_id=check.organisation_id).order_by("-created_at").first()


def _local(file_field, workdir: Path, label: str) -> Path:
    dst = workdir / f"{label}{Path(file_field.name).suffix[:6]}"
    with file_field.storage.open(file_field.name, "rb") as src, open(dst, "wb") as out:
        while block := src.read(1 << 20):
            out.write(block)
    return dst


def voice_reference(recording: ConsentRecording, workdir: Path) -> dict:
    """The consent recording's embedding, computed once per model and kept on the recording."""
    ref = recording.voice_reference or {}
    if ref.get("model") == speaker.model_id(model_path()) and ref.get("embedding"):
        return ref
    ref = speaker.reference(_local(recording.audio.file, workdir, "consent"), model_path())
    ConsentRecording.objects.filter(pk=recording.pk).update(voice_reference=ref)
    recording.voice_reference = ref
    return ref


def reference_checks(check: VoiceCheck) -> list[VoiceCheck]:
    """The takes whose measures make the drift bands for ``check``."""
    peers = VoiceCheck.objects.filter(state=VoiceCheck.State.DONE).exclude(pk=check.pk)
    peers = peers.filter(task_id=check.task_id) if check.task_id else peers.filter(
        speaker_id=check.speaker_id, organisation_id=check.organisation_id, task__isnull=True)
    picked = list(peers.filter(is_reference=True))
    if picked:
        return picked
    return list(peers.filter(recorded_at__lt=check.recorded_at).order_by("recorded_at", "pk")[:REFERENCE_TAKES])


def bands_for(check: VoiceCheck) -> dict:
    return drift.reference_bands([c.measures for c in reference_checks(check)])


def _section_word_count(check: VoiceCheck) -> int | None:
    """How many words the take's section text has (a booth take), in its script's language."""
    take = check.take
    if take is None or take.section_id is None:
        return None
    return len(split_words(take.section.text or "", take.task.script.language))


def _subject(check: VoiceCheck):
    if check.take_id:
        return check.take.file, check.take.qc or {}
    return check.audio_file.file, check.audio_file.qc or {}


def run_check(check_pk: int, *, reclaim: bool = False) -> str:
    """Compare one recording with the consent recording and measure its drift; idempotent."""
    check = VoiceCheck.objects.select_related("take__section", "take__task__script", "audio_file").filter(pk=check_pk).first()
    if check is None:
        return "gone"
    if not check.claim(reclaim=reclaim):
        return check.state
    file_field, qc = _subject(check)
    metrics = qc.get("metrics") or {}
    alignment = qc.get("alignment") or {}
    words = alignment.get("words") if alignment.get("status") == "aligned" else None
    word_count = _section_word_count(check) if words is None else None
    measures: dict | None = None
    with tempfile.TemporaryDirectory(prefix="vm-voice-") as d:
        work = Path(d)
        try:
            path = _local(file_field, work, "take")
            measures = drift.measure(path, words=words, word_count=word_count, speech_s=qc_speech_span(metrics),
                                     loudness_lufs=metrics.get("loudness_lufs"))
            recording = reference_recording(check)
            if recording is None:
                check.fail("There is no spoken consent recording of this speaker yet, so the voice was not "
                           "compared.", measures=measures)
                return check.state
            ref = voice_reference(recording, work)
            emb, speech_s = speaker.embed_details(path, model_path())
            take_side = {"embedding": [float(v) for v in emb], "speech_s": speech_s,
                         "model": speaker.model_id(model_path())}
            result = speaker.compare(ref, take_side, model_path=model_path())
        except (speaker.SpeakerError, AudioRejected) as exc:
            check.fail(exc.message, measures=measures)
            return check.state
        except Exception:
            check.release()  # the retry claims it again
            raise
    result["reference"] = {"consentRecording": recording.pk, "fileId": recording.audio.public_id}
    measures["embedding_distance"] = round(1 - result["similarity"], 4)
    warnings = drift.compare(measures, bands_for(check))["warnings"]
    check.finish(result=result, embedding=[round(v, 6) for v in take_side["embedding"]], measures=measures,
                 warnings=warnings)
    return check.state


def run_pending(checks) -> None:
    """Run checks that are still waiting, here and now (the worker, right before a set is forwarded)."""
    for check in checks:
        if check.state in (VoiceCheck.State.PENDING, VoiceCheck.State.RUNNING):
            try:
                run_check(check.pk)
            except Exception:  # noqa: BLE001 - one broken file must not stop the gate; its check stays pending
                log.warning("voice check %s could not run before forwarding", check.pk, exc_info=True)


# --- the gate --------------------------------------------------------------------------------------

def checks_for_files(files: list[AudioFile]) -> dict[int, VoiceCheck]:
    """The check of each file: its own, its original's (a denoised copy), or that of the take it was published from."""
    originals = {f.pk: (f.derived_from_id or f.pk) for f in files}
    ids = set(originals.values())
    found = {}
    for check in VoiceCheck.objects.filter(Q(audio_file_id__in=ids) | Q(take__audio_file_id__in=ids)).select_related("take"):
        key = check.audio_file_id or check.take.audio_file_id
        found[key] = check
    return {pk: found[orig] for pk, orig in originals.items() if orig in found}


def speaker_mismatches(files: list[AudioFile], *, run_waiting: bool = False) -> list[dict]:
    """Files whose voice was judged "different" from the consent recording (empty: the gate lets the set pass)."""
    checks = checks_for_files(files)
    if run_waiting:
        run_pending(checks.values())
        checks = checks_for_files(files)
    out = []
    for f in files:
        check = checks.get(f.pk)
        if check is not None and check.verdict == VoiceCheck.Verdict.DIFFERENT:
            out.append({"fileId": f.public_id, "name": f.name, "similarity": check.similarity,
                        "reason": check.result.get("reason", "")})
    return out


def mismatch_message(mismatches: list[dict]) -> str:
    names = ", ".join(m["name"] for m in mismatches[:5]) + (" ..." if len(mismatches) > 5 else "")
    return (f"{len(mismatches)} file(s) do not sound like the speaker who recorded the consent statement "
            f"({names}). A voice is only cloned from the person who consented.")


# --- the booth -----------------------------------------------------------------------------------

def take_status(take) -> dict:
    """What the booth shows about a take's voice: pending, or the verdict and the drift warnings."""
    check = getattr(take, "voice_check", None)
    if check is None:
        return {"state": "none"}
    out = {"state": check.state}
    if check.state == VoiceCheck.State.DONE:
        out.update(verdict=check.verdict, similarity=check.similarity, warnings=check.warnings,
                   message={"same": "", "unsure": "We could not confirm this is your voice; an admin will listen.",
                            "different": "This does not sound like the voice in your consent recording."}
                   .get(check.verdict, ""))
    elif check.state == VoiceCheck.State.FAILED:
        out["message"] = check.error
    return out


def break_status(task) -> dict:
    """A break suggestion after every 30 minutes of recording (tasks.audio.drift.break_due)."""
    from django.utils import timezone

    takes = task.takes.filter(kind="take").values_list("created_at", "duration")
    spans = [(created.timestamp() - (duration or 0), duration or 0) for created, duration in takes]
    return drift.break_due(spans, now=timezone.now().timestamp())


def mark_reference(check: VoiceCheck, on: bool, *, user) -> None:
    """An admin picks (or unpicks) a take as a drift reference; audited."""
    from voicemanager.core import audit

    with transaction.atomic():
        check.set_reference(on)
        audit.record("voice_check.reference" if on else "voice_check.unreference", actor=user,
                     organisation=check.organisation, target_type="voicemanager.VoiceCheck", target_id=str(check.pk))
