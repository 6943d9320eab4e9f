"""Test data for the deletion tests: a voice with everything tied to it, built from real WAV files.

Not a test module itself (no tests); shared by test_deletion_* and e2e/test_deletion_*.
"""
from __future__ import annotations

import hashlib
import io
import json
import subprocess
import tempfile
import uuid
import zipfile
from pathlib import Path
from types import SimpleNamespace

from django.core import serializers
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from voicemanager import models as m
from voicemanager.models import Take

_WAVS: dict[int, bytes] = {}


def wav_bytes(freq: int, seconds: float = 0.3) -> bytes:
    """A small real WAV made by sox (cached per frequency)."""
    if freq not in _WAVS:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "tone.wav"
            subprocess.run(["sox", "-n", "-r", "24000", "-c", "1", "-b", "16", str(path), "synth", str(seconds),
                            "sine", str(freq), "gain", "-6"], check=True, timeout=30)
            _WAVS[freq] = path.read_bytes()
    return _WAVS[freq]


def _file(org, task, speaker, source, freq, derived_from=None, path="recordings") -> m.AudioFile:
    data = wav_bytes(freq)
    af = m.AudioFile(organisation=org, task=task, speaker=speaker, source=source, derived_from=derived_from,
                     name=f"{source}-{freq}.wav", path=path, size=len(data), sha256=hashlib.sha256(data).hexdigest())
    af.file.save(af.name, ContentFile(data), save=True)
    return af


def _take(task, section, freq, audio_file=None, kind=Take.Kind.TAKE, status=Take.Status.SUBMITTED) -> Take:
    data = wav_bytes(freq)
    take = Take(task=task, section=section, kind=kind, client_id=uuid.uuid4(), size=len(data),
                sha256=hashlib.sha256(data).hexdigest(), duration=0.3, sample_rate=24000, status=status,
                audio_file=audio_file)
    take.file.save("take.wav", ContentFile(data), save=True)
    return take


def build_voice(org, task, speaker, alias: str, base_freq: int) -> SimpleNamespace:
    """A professional voice with takes, uploaded + denoised files, consent, room tone, package, credit entry."""
    sections = list(task.script.sections.all())
    booth_files, takes = [], []
    for i, section in enumerate(sections[:2]):
        af = _file(org, task, speaker, m.AudioFile.Source.BOOTH, base_freq + i * 10, path=task.file_path)
        booth_files.append(af)
        takes.append(_take(task, section, base_freq + i * 10, audio_file=af))
    takes.append(_take(task, sections[0], base_freq + 5, status=Take.Status.DELETED))  # a retake kept as history
    denoised = _file(org, task, speaker, m.AudioFile.Source.DENOISED, base_freq + 1, derived_from=booth_files[0],
                     path=task.file_path)
    uploaded = _file(org, None, speaker, m.AudioFile.Source.UPLOAD, base_freq + 2, path="uploads")
    upload_denoised = _file(org, None, speaker, m.AudioFile.Source.DENOISED, base_freq + 3, derived_from=uploaded,
                            path="uploads")
    m.DenoiseJob.objects.create(source=uploaded, engine="spectral", state="done", output=upload_denoised)
    room_tone = _file(org, task, speaker, m.AudioFile.Source.ROOM_TONE, base_freq + 4, path=task.file_path)
    task.room_tone = room_tone
    task.room_tone_report = {"noise_floor_db": -62}
    task.save()
    consent_audio = _file(org, task, speaker, m.AudioFile.Source.CONSENT, base_freq + 6, path=task.file_path)
    consent = m.ConsentRecording.objects.create(speaker=speaker, organisation=org, task=task, audio=consent_audio,
                                                statement="I consent.")
    for doc in m.ConsentDocument.objects.current():
        m.ConsentSignature.objects.get_or_create(
            speaker=speaker, document=doc,
            defaults={"typed_name": speaker.full_name or "Someone", "document_version": doc.version,
                      "text_hash": doc.text_hash, "ip_address": "203.0.113.7", "user_agent": "test"})
    voice = m.Voice.objects.create(
        organisation=org, alias=alias, type=m.Voice.Type.PROFESSIONAL, speaker=speaker, task=task, language="en",
        status=m.Voice.Status.SUCCEEDED, provider="operator", provider_ref=f"prov-{alias}",
        files_used=[f.public_id for f in booth_files] + [uploaded.public_id], metadata={"accent": "neutral"})
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("manifest.json", json.dumps({"voice": alias}))
        zf.writestr("0001.wav", wav_bytes(base_freq))
    package = m.VoicePackage(voice=voice, size=len(buf.getvalue()), sha256=hashlib.sha256(buf.getvalue()).hexdigest())
    package.file.save("package.zip", ContentFile(buf.getvalue()), save=False)
    from django.utils import timezone

    package.forwarded_at = timezone.now()
    package.save()
    credit = m.CreditEntry.objects.create(organisation=org, amount=-500, reason=f"professional voice {alias}",
                                          voice=voice)
    stray_take = default_storage.save(f"orgs/{org.public_id}/takes/{task.public_id}/stray-upload.part",
                                      ContentFile(b"partial bytes"))
    stray_voice = default_storage.save(f"orgs/{org.public_id}/voices/{voice.public_id}/preview.wav",
                                       ContentFile(wav_bytes(base_freq + 7)))
    return SimpleNamespace(voice=voice, task=task, speaker=speaker, takes=takes, booth_files=booth_files,
                           denoised=denoised, uploaded=uploaded, upload_denoised=upload_denoised, room_tone=room_tone,
                           consent=consent, consent_audio=consent_audio, package=package, credit=credit,
                           stray_keys=[stray_take, stray_voice])


def build_world(cast) -> SimpleNamespace:
    """Voice A (speaker A, org X) to delete; voice B (speaker B, org X) and voice Y (org Y) to leave alone."""
    suffix = uuid.uuid4().hex[:6]
    a = build_voice(cast.org_x, cast.task_a, cast.speaker_a, f"anna-{suffix}", 300)
    b = build_voice(cast.org_x, cast.task_b, cast.speaker_b, f"bert-{suffix}", 500)
    y = build_voice(cast.org_y, cast.task_y, cast.speaker_b, f"yara-{suffix}", 700)
    return SimpleNamespace(a=a, b=b, y=y)


def all_keys(s3_server, bucket: str) -> dict[str, str]:
    """Every object in the bucket (boto3 list_objects_v2, paged) with the sha256 of its bytes."""
    client = s3_server.client()
    out, token = {}, None
    while True:
        kw = {"Bucket": bucket, **({"ContinuationToken": token} if token else {})}
        page = client.list_objects_v2(**kw)
        for obj in page.get("Contents", []):
            body = client.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read()
            out[obj["Key"]] = hashlib.sha256(body).hexdigest()
        if not page.get("IsTruncated"):
            return out
        token = page["NextContinuationToken"]


def voice_keys(v: SimpleNamespace, scope: str) -> set[str]:
    keys = {v.package.file.name, v.stray_keys[1]}
    if scope == "voice_and_recordings":
        keys |= {t.file.name for t in v.takes}
        keys |= {f.file.name for f in [*v.booth_files, v.denoised, v.uploaded, v.upload_denoised, v.room_tone,
                                       v.consent_audio]}
        keys.add(v.stray_keys[0])
    return keys


def scope_rows(v: SimpleNamespace, scope: str) -> list:
    """(model, pk) of every row that must be gone after the deletion."""
    rows = [(m.Voice, v.voice.pk), (m.VoicePackage, v.package.pk)]
    if scope == "voice_and_recordings":
        rows += [(Take, t.pk) for t in v.takes]
        rows += [(m.AudioFile, f.pk) for f in [*v.booth_files, v.denoised, v.uploaded, v.upload_denoised,
                                               v.room_tone, v.consent_audio]]
        rows += [(m.ConsentRecording, v.consent.pk), (m.RecordingTask, v.task.pk), (m.Speaker, v.speaker.pk)]
        rows += [(m.ConsentSignature, pk) for pk in v.speaker.signatures.values_list("pk", flat=True)]
    return rows


def snapshot_rows(v: SimpleNamespace) -> dict:
    """Serialized rows tied to a voice, to compare before deletion and after restore."""
    sig_pks = list(m.ConsentSignature.objects.filter(speaker=v.speaker).values_list("pk", flat=True))
    groups = {
        m.Voice: [v.voice.pk], m.VoicePackage: [v.package.pk], m.CreditEntry: [v.credit.pk],
        Take: [t.pk for t in v.takes], m.RecordingTask: [v.task.pk], m.Speaker: [v.speaker.pk],
        m.AudioFile: [f.pk for f in [*v.booth_files, v.denoised, v.uploaded, v.upload_denoised, v.room_tone,
                                     v.consent_audio]],
        m.ConsentRecording: [v.consent.pk], m.ConsentSignature: sig_pks,
        m.DenoiseJob: list(m.DenoiseJob.objects.filter(source=v.uploaded).values_list("pk", flat=True)),
    }
    return {model._meta.label: json.loads(serializers.serialize("json", model.objects.filter(pk__in=pks)
                                                                 .order_by("pk")))
            for model, pks in groups.items()}
