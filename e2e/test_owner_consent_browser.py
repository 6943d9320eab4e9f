"""Semi-concierge: uploaded files of a voice owner cannot be forwarded until the owner signs and records
consent through the emailed link (Chromium, fake microphone fed from espeak-ng speech)."""
from __future__ import annotations

import re

import pytest
import requests
from django.core.files.base import ContentFile

from e2e.booth_fixtures import logged_in_context, long_speech_wav
from e2e.services import message_text
from voicemanager.core.demo import ensure_consent_documents
from voicemanager.models import ApiKey, AudioFile, ConsentRecording, ConsentSignature, Speaker, Voice
from voicemanager.tests.factories import MembershipFactory, OrganisationFactory, UserFactory

pytestmark = pytest.mark.e2e
WAIT = 20_000


def clone(live_server, key: str, file_ids: list[str], alias: str) -> requests.Response:
    return requests.post(f"{live_server.url}/api/v2/speech/voice-cloning", headers={"x-api-key": key}, timeout=30,
                         json={"fileIds": file_ids, "alias": alias, "engine": "voice_engine_3", "type": "professional",
                               "language": "en"})


def test_set_of_uploaded_files_waits_for_the_voice_owners_consent(live_server, launch_browser, transactional_db,
                                                                  mail, tmp_path):
    from config.celery import app

    app.control.purge()
    ensure_consent_documents()
    org = OrganisationFactory(name="Studio North")
    admin = UserFactory(email="admin@north.example")
    MembershipFactory(user=admin, organisation=org, role="admin")
    _, key = ApiKey.issue(org)
    browser = launch_browser(fake_mic_wav=long_speech_wav(tmp_path, seconds=90))

    # The admin names the voice owner of a set recorded elsewhere.
    admin_page = logged_in_context(browser, live_server, admin).new_page()
    admin_page.goto(live_server.url + "/vm/voice-owners/")
    admin_page.fill("input[name=full_name]", "Olga Owner")
    admin_page.fill("input[name=email]", "olga@example.com")
    admin_page.click("text=Send consent link")
    admin_page.wait_for_selector("#consent-state", timeout=WAIT)
    assert "waiting for the voice owner" in admin_page.inner_text("#consent-state")
    owner = Speaker.objects.get(email="olga@example.com", kind=Speaker.Kind.VOICE_OWNER, organisation=org)

    # Her files are in the file manager (uploaded; 3 x 11 minutes meets the professional limits).
    files = []
    for n in range(3):
        f = AudioFile(organisation=org, path="olga", name=f"olga-{n}.wav", source=AudioFile.Source.UPLOAD,
                      speaker=owner, duration=660.0, size=60_000_000, sample_rate=48000, channels=1)
        f.file.save(f"olga-{n}.wav", ContentFile(b"RIFF" + bytes(40)), save=True)
        files.append(f.public_id)

    refused = clone(live_server, key, files, "olga-pro")
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "consent_missing"
    assert not Voice.objects.exists()

    # The owner opens the emailed link in her own browser (no account), signs and records.
    link = re.search(r"https?://\S+/consent/\S+/", message_text(mail.wait_for("olga@example.com")[0])).group(0)
    owner_page = browser.new_context().new_page()
    owner_page.goto(live_server.url + "/" + link.split("/", 3)[3])
    owner_page.fill("input[name=typed_name]", "Olga Owner")
    owner_page.check("input[name=native_languages][value=en]")
    owner_page.check("input[name=native_languages][value=ru]")
    owner_page.check("input[name=agree]")
    owner_page.click("#sign-form button[type=submit]")
    owner_page.wait_for_selector("#statement", timeout=WAIT)
    assert ConsentSignature.objects.filter(speaker=owner).count() == 3
    assert clone(live_server, key, files, "olga-pro").status_code == 422  # signed, not yet recorded

    owner_page.wait_for_selector("#consent-recorder[data-ready]", timeout=WAIT)
    owner_page.click("#rec-start")
    owner_page.wait_for_selector("#rec-stop:not([disabled])", timeout=WAIT)
    owner_page.wait_for_timeout(3500)
    owner_page.click("#rec-stop")
    owner_page.wait_for_selector("#rec-submit:not([disabled])", timeout=WAIT)
    owner_page.click("#rec-submit")
    owner_page.wait_for_selector("#consent-complete", timeout=WAIT)

    recording = ConsentRecording.objects.get(speaker=owner, organisation=org)
    assert recording.audio.duration > 2.5 and recording.audio.sample_rate >= 44100
    owner.refresh_from_db()
    assert owner.native_languages == ["en", "ru"]

    admin_page.reload()
    assert "complete" in admin_page.inner_text("#consent-state")
    accepted = clone(live_server, key, files, "olga-pro")
    assert accepted.status_code == 202, accepted.text
    assert Voice.objects.get(alias="olga-pro").speaker == owner
    app.control.purge()
