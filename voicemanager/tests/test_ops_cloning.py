"""Operator queue: staff only; download the package; received → training → ready (or failed with a reason)."""
import pytest
from django.urls import reverse

from config.celery import app
from voicemanager.cloning import voices as cloning
from voicemanager.models import CreditEntry, Voice
from voicemanager.tests.cloning_fixtures import add_credits, make_audio_file, run_chain, voice_owner


@pytest.fixture
def forwarded(cast):
    """An instant voice packaged and forwarded to the operator queue."""
    add_credits(cast.org_x, 1000)
    owner = voice_owner(cast.org_x)
    files = [make_audio_file(cast.org_x, 3.0, speaker=owner, transcript="Hello there.")]
    voice = cloning.request_voice(cast.org_x, cast.admin_x, files=files, alias="queued-voice",
                                  metadata={"gender": "female"})
    app.conf.task_always_eager = True
    try:
        from tasks.cloning import package_voice

        run_chain(package_voice, voice.pk)
    finally:
        app.conf.task_always_eager = False
    voice.refresh_from_db()
    assert voice.stage == Voice.Stage.FORWARDED
    return voice


def test_only_staff_see_the_queue(client, cast, forwarded):
    url = reverse("ops_cloning")
    for user in (cast.admin_x, cast.admin_y, cast.contractor_a, cast.outsider):
        client.force_login(user)
        assert client.get(url).status_code == 404
        assert client.get(reverse("ops_cloning_package", args=[forwarded.public_id])).status_code == 404
        assert client.post(reverse("ops_cloning_stage", args=[forwarded.public_id]),
                           {"stage": "ready"}).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302
    forwarded.refresh_from_db()
    assert forwarded.status == Voice.Status.PROCESSING


def test_staff_downloads_the_package(client, cast, forwarded):
    client.force_login(cast.staff)
    assert "queued-voice" in client.get(reverse("ops_cloning")).content.decode()
    resp = client.get(reverse("ops_cloning_package", args=[forwarded.public_id]))
    assert resp.status_code == 200
    body = b"".join(resp.streaming_content)
    import hashlib

    assert hashlib.sha256(body).hexdigest() == forwarded.package.sha256


def test_staff_moves_voice_to_ready_which_charges_emails_and_lists_it(client, cast, forwarded, mail,
                                                                      django_capture_on_commit_callbacks):
    client.force_login(cast.staff)
    stage_url = reverse("ops_cloning_stage", args=[forwarded.public_id])
    for stage in ("received", "training"):
        client.post(stage_url, {"stage": stage})
        forwarded.refresh_from_db()
        assert forwarded.stage == stage and forwarded.status == Voice.Status.PROCESSING
    with django_capture_on_commit_callbacks(execute=True):
        client.post(stage_url, {"stage": "ready"})
    forwarded.refresh_from_db()
    assert forwarded.status == Voice.Status.SUCCEEDED and forwarded.succeeded_at
    assert CreditEntry.objects.filter(organisation=cast.org_x, voice=forwarded, amount__lt=0).count() == 1
    msg = mail.wait_for(cast.admin_x.email)[0]
    assert "queued-voice" in msg["Subject"]
    client.force_login(cast.admin_x)
    assert "queued-voice" in client.get(reverse("voices")).content.decode()
    client.force_login(cast.admin_y)
    assert "queued-voice" not in client.get(reverse("voices")).content.decode()
    assert client.get(reverse("voice_detail", args=[forwarded.public_id])).status_code == 404


def test_failed_needs_a_reason_and_keeps_it(client, cast, forwarded):
    client.force_login(cast.staff)
    url = reverse("ops_cloning_stage", args=[forwarded.public_id])
    client.post(url, {"stage": "failed", "reason": ""})
    forwarded.refresh_from_db()
    assert forwarded.status == Voice.Status.PROCESSING
    client.post(url, {"stage": "failed", "reason": "Too much background music."})
    forwarded.refresh_from_db()
    assert forwarded.status == Voice.Status.FAILED and forwarded.failure_reason == "Too much background music."
    client.post(url, {"stage": "ready"})  # a failed voice does not come back
    forwarded.refresh_from_db()
    assert forwarded.status == Voice.Status.FAILED
