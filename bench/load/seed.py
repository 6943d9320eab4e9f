"""Seed the load database (run by bench/load/run.py in a subprocess with the load environment).

One organisation with 5 admins, a 10-section script, N contractors who signed the consent documents and
recorded their consent statement, each with an open task, and filler tasks up to ``--tasks`` in total.
Prints JSON: session keys for every user, task and section ids.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import sys
import wave
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.core.files.base import ContentFile  # noqa: E402
from django.utils import timezone  # noqa: E402

from voicemanager import models as m  # noqa: E402
from voicemanager.core.demo import ensure_consent_documents  # noqa: E402


def session_for(user) -> str:
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key


def silence_wav(seconds: float = 2.0) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(48000)
        w.writeframes(b"\x00\x00" * int(48000 * seconds))
    return buf.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--contractors", type=int, default=50)
    parser.add_argument("--admins", type=int, default=5)
    parser.add_argument("--tasks", type=int, default=10_000)
    args = parser.parse_args()

    ensure_consent_documents()
    documents = m.ConsentDocument.objects.current()
    org = m.Organisation.objects.create(name="Load Org", auto_process_takes=True)
    admins = []
    for i in range(args.admins):
        user = m.User.objects.create_user(email=f"load-admin-{i}@example.com", password=None)
        m.Membership.objects.create(user=user, organisation=org, role="admin")
        admins.append(user)
    script = m.Script.objects.create(organisation=org, title="Load script", language="en")
    m.Section.objects.bulk_create(m.Section(script=script, position=i, text=f"Sentence number {i} of the load "
                                            "script, read at an even pace.") for i in range(1, 11))
    sections = list(script.sections.order_by("position").values_list("pk", flat=True))
    consent_audio = m.AudioFile(organisation=org, name="consent.wav", source=m.AudioFile.Source.CONSENT)
    consent_audio.file.save("consent.wav", ContentFile(silence_wav()), save=False)
    consent_audio.save()
    contractors = []
    for i in range(args.contractors):
        user = m.User.objects.create_user(email=f"load-talent-{i}@example.com", password=None, kind="contractor")
        speaker = m.Speaker.objects.create(user=user, email=user.email, full_name=f"Talent {i}",
                                           native_languages=["en"])
        m.ConsentSignature.objects.bulk_create(m.ConsentSignature(
            speaker=speaker, document=doc, typed_name=f"Talent {i}", document_version=doc.version,
            text_hash=doc.text_hash) for doc in documents)
        task = m.RecordingTask.objects.create(organisation=org, script=script, speaker=speaker,
                                              contractor_email=user.email, file_path=f"load/talent-{i}",
                                              status=m.RecordingTask.Status.RECORDING)
        m.ConsentRecording.objects.create(speaker=speaker, organisation=org, task=task, audio=consent_audio,
                                          statement="I consent.")
        contractors.append({"session": session_for(user), "task": task.public_id, "sections": sections})
    filler = args.tasks - args.contractors
    today = timezone.localdate()
    statuses = ["invited", "accepted", "recording", "submitted", "ready"]
    m.RecordingTask.objects.bulk_create(
        (m.RecordingTask(organisation=org, script=script, contractor_email=f"filler-{i}@example.com",
                         file_path=f"filler/{i}", status=statuses[i % len(statuses)],
                         due_date=today + timedelta(days=(i % 40) - 10)) for i in range(filler)), batch_size=2000)
    print(json.dumps({"admins": [session_for(a) for a in admins], "contractors": contractors,
                      "tasks": m.RecordingTask.objects.count()}))


if __name__ == "__main__":
    main()
