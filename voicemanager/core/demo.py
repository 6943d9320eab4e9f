"""Demo data: one organisation, its admin, a contractor, an operator, a script and a task."""
from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
from django.core.files import File
from django.db import transaction

from voicemanager.models import (
    ApiKey,
    AudioFile,
    ConsentDocument,
    ConsentRecording,
    ConsentSignature,
    CreditEntry,
    Membership,
    Organisation,
    RecordingTask,
    Script,
    Section,
    Speaker,
    User,
)

ADMIN_EMAIL, ADMIN_PASSWORD = "admin@demo.local", "demo-admin-pass"
CONTRACTOR_EMAIL, CONTRACTOR_PASSWORD = "talent@demo.local", "demo-talent-pass"
OPERATOR_EMAIL, OPERATOR_PASSWORD = "ops@demo.local", "demo-ops-pass"
VOICE_OWNER_EMAIL = "vera@demo.local"
DEMO_CREDITS = 3000

DEMO_SECTIONS = [
    "The quick brown fox jumps over the lazy dog.",
    "Please call Stella and ask her to bring these things with her from the store.",
    "Six spoons of fresh snow peas, five thick slabs of blue cheese, and maybe a snack for her brother Bob.",
    "We also need a small plastic snake and a big toy frog for the kids.",
]

CONSENT_TEXTS = {
    ConsentDocument.Kind.TERMS: ("Terms of Service", "By recording you agree that the recordings you make are "
                                 "licensed to the organisation that invited you for creating a synthetic voice."),
    ConsentDocument.Kind.PRIVACY: ("Privacy Policy", "We store your recordings, name, email, IP address and "
                                   "browser for as long as the organisation keeps your voice. You may ask for "
                                   "deletion at any time at /forget/."),
    ConsentDocument.Kind.ACCEPTABLE_USE: ("Acceptable Use Policy", "A synthetic voice may not be used to deceive, "
                                          "defraud, harass or impersonate anyone without consent."),
}


@dataclass
class Demo:
    organisation: Organisation
    admin: User
    contractor: User
    operator: User
    script: Script
    task: RecordingTask
    api_key: str | None
    voice_owner: Speaker


def ensure_consent_documents() -> None:
    for kind, (title, text) in CONSENT_TEXTS.items():
        if not ConsentDocument.objects.filter(kind=kind).exists():
            ConsentDocument.objects.create(kind=kind, version=1, title=title, text=text)


def _user(email: str, password: str, **extra) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email=email, password=password, **extra)
    return user


@transaction.atomic
def create_demo() -> Demo:
    """Idempotent: running it twice changes nothing the second time (except printing no new key)."""
    ensure_consent_documents()
    org, _ = Organisation.objects.get_or_create(name="Demo Studio")
    admin = _user(ADMIN_EMAIL, ADMIN_PASSWORD, full_name="Ada Admin")
    Membership.objects.get_or_create(user=admin, organisation=org, defaults={"role": Membership.Role.ADMIN})
    contractor = _user(CONTRACTOR_EMAIL, CONTRACTOR_PASSWORD, full_name="Tara Talent", kind=User.Kind.CONTRACTOR)
    speaker, _ = Speaker.objects.get_or_create(
        user=contractor, defaults={"email": contractor.email, "full_name": contractor.full_name,
                                   "native_languages": ["en"]}
    )
    operator = _user(OPERATOR_EMAIL, OPERATOR_PASSWORD, full_name="Oscar Operator", is_staff=True)
    script = Script.objects.filter(organisation=org, title="Demo: Stella").first()
    if script is None:
        script = Script.objects.create(organisation=org, title="Demo: Stella", language="en", created_by=admin)
        Section.objects.bulk_create(
            Section(script=script, position=i, text=text) for i, text in enumerate(DEMO_SECTIONS, start=1)
        )
    task = RecordingTask.objects.filter(organisation=org, script=script, speaker=speaker).first()
    if task is None:
        task = RecordingTask.objects.create(
            organisation=org, script=script, speaker=speaker, contractor_email=contractor.email,
            file_path="recordings/demo-stella/tara-talent", status=RecordingTask.Status.ACCEPTED, created_by=admin,
        )
    raw_key = None
    if not ApiKey.objects.filter(organisation=org).exists():
        _, raw_key = ApiKey.issue(org, "demo", created_by=admin)
    if not CreditEntry.objects.filter(organisation=org).exists():
        CreditEntry.objects.create(organisation=org, amount=DEMO_CREDITS, reason="Demo credits", actor=operator)
    owner = _consented_voice_owner(org)
    return Demo(org, admin, contractor, operator, script, task, raw_key, owner)


def _consented_voice_owner(org: Organisation) -> Speaker:
    """A voice owner of a set recorded elsewhere who has already signed and spoken consent.

    With her ``speakerId`` on uploaded files, the API's voice-cloning call works end to end
    in the demo (the consent gate applies to API clients too).
    """
    owner, created = Speaker.objects.get_or_create(
        email=VOICE_OWNER_EMAIL, organisation=org,
        defaults={"kind": Speaker.Kind.VOICE_OWNER, "full_name": "Vera Voice", "native_languages": ["en"]},
    )
    if not created:
        return owner
    for doc in ConsentDocument.objects.current():
        ConsentSignature.objects.create(speaker=owner, document=doc, typed_name=owner.full_name,
                                        document_version=doc.version, text_hash=doc.text_hash,
                                        user_agent="demo seed")
    statement = (f"I, {owner.full_name}, am aware that recordings of my voice will be used by {org.name} "
                 "to create a synthetic version of my voice.")
    audio = AudioFile(organisation=org, path="voice-owners/vera-voice", name="consent.wav",
                      source=AudioFile.Source.CONSENT, speaker=owner, transcript=statement)
    audio.file.save("consent.wav", File(io.BytesIO(_speech_wav(statement)), name="consent.wav"), save=False)
    audio.size = audio.file.size
    audio.save()
    ConsentRecording.objects.create(speaker=owner, organisation=org, audio=audio, statement=statement)
    return owner


def _speech_wav(text: str) -> bytes:
    """Speech from espeak-ng when it is installed (the run command installs it), else a quiet tone."""
    espeak = shutil.which("espeak-ng")
    if espeak:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "speech.wav"
            result = subprocess.run([espeak, "-w", str(path), text], capture_output=True, timeout=60)
            if result.returncode == 0 and path.exists():
                return path.read_bytes()
    t = np.arange(0, 3.0, 1 / 48000)
    buffer = io.BytesIO()
    sf.write(buffer, (0.1 * np.sin(2 * np.pi * 220 * t)).astype("float32"), 48000, format="WAV", subtype="PCM_16")
    return buffer.getvalue()
