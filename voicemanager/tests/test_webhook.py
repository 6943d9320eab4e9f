"""Webhook provider: signed delivery to a real local HTTP server, retries, exactly once, signed callbacks."""
import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest
from django.db import transaction
from django.utils import timezone

from config.celery import app
from voicemanager.cloning import voices as cloning
from voicemanager.models import Voice, VoicePackage
from voicemanager.tests.cloning_fixtures import add_credits, make_audio_file, run_chain, voice_owner

SECRET = "test-webhook-secret"


class Receiver:
    """A provider endpoint on 127.0.0.1 in a thread; answers with the queued statuses, then 200."""

    def __init__(self, statuses=()):
        self.statuses = list(statuses)
        self.requests: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server API
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append({"headers": dict(self.headers), "body": body})
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"reference": "prov-123"}' if status == 200 else b'{"error": "busy"}')

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/clone"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def webhook_settings(settings):
    settings.CLONING_PROVIDER = "webhook"
    settings.CLONING_WEBHOOK_SECRET = SECRET
    settings.CLONING_RETRY_BASE_S = 0.2
    settings.SITE_URL = "http://testserver"
    return settings


def new_voice(cast, alias="hooked"):
    add_credits(cast.org_x)
    owner = voice_owner(cast.org_x)
    files = [make_audio_file(cast.org_x, 3.0, speaker=owner, transcript="Hello.")]
    return cloning.request_voice(cast.org_x, cast.admin_x, files=files, alias=alias, metadata={"gender": "male"})


def run_jobs(voice):
    app.conf.task_always_eager = True
    try:
        from tasks.cloning import package_voice

        run_chain(package_voice, voice.pk)
    finally:
        app.conf.task_always_eager = False


def test_delivers_manifest_and_expiring_download_url_with_a_valid_signature(client, cast, webhook_settings):
    with Receiver() as receiver:
        webhook_settings.CLONING_WEBHOOK_URL = receiver.url
        voice = new_voice(cast)
        run_jobs(voice)
    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    expected = "sha256=" + hmac.new(SECRET.encode(), request["body"], hashlib.sha256).hexdigest()
    assert request["headers"]["X-Signature"] == expected
    assert request["headers"]["Idempotency-Key"] == voice.public_id
    payload = json.loads(request["body"])
    package = VoicePackage.objects.get(voice=voice)
    assert payload["voiceId"] == voice.public_id and payload["manifest"]["voice"]["alias"] == "hooked"
    assert payload["package"]["sha256"] == package.sha256
    url = urlsplit(payload["package"]["url"])
    download = client.get(url.path + "?" + url.query)
    assert download.status_code == 200
    assert hashlib.sha256(b"".join(download.streaming_content)).hexdigest() == package.sha256
    assert client.get(url.path + "?token=forged").status_code == 404
    voice.refresh_from_db()
    assert voice.stage == Voice.Stage.FORWARDED and voice.provider_ref == "prov-123"


def test_redelivered_forward_job_does_not_forward_twice(cast, webhook_settings):
    from tasks.cloning import forward_voice

    with Receiver() as receiver:
        webhook_settings.CLONING_WEBHOOK_URL = receiver.url
        voice = new_voice(cast)
        run_jobs(voice)
        forward_voice(voice.pk)  # the same message delivered again
        forward_voice(voice.pk)
        assert len(receiver.requests) == 1

        other = new_voice(cast, alias="in-flight")
        VoicePackage.objects.create(voice=other, built_at=timezone.now(), forward_claimed_at=timezone.now())
        forward_voice(other.pk)  # another worker holds the claim right now
        assert len(receiver.requests) == 1


def test_permanent_refusal_fails_the_voice_with_the_reason(cast, webhook_settings):
    with Receiver([400]) as receiver:
        webhook_settings.CLONING_WEBHOOK_URL = receiver.url
        voice = new_voice(cast)
        run_jobs(voice)
    voice.refresh_from_db()
    assert voice.status == Voice.Status.FAILED and "HTTP 400" in voice.failure_reason


def test_failing_endpoint_is_retried_with_backoff_by_the_worker(cast, webhook_settings, celery_worker):
    with Receiver([503, 500]) as receiver:
        webhook_settings.CLONING_WEBHOOK_URL = receiver.url
        with transaction.atomic():
            voice = new_voice(cast)  # on commit: package_voice.delay → forward_voice.delay
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            package = VoicePackage.objects.filter(voice=voice).first()
            if package and package.forwarded_at:
                break
            time.sleep(0.2)
    assert package and package.forwarded_at, "the package was not delivered in 60 s"
    assert len(receiver.requests) == 3 and package.forward_attempts == 3
    bodies = {r["body"] for r in receiver.requests}
    assert all(json.loads(b)["voiceId"] == voice.public_id for b in bodies)


def _callback(client, body: dict, secret: str = SECRET):
    raw = json.dumps(body).encode()
    signature = "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    return client.post("/api/v2/speech/voice-cloning/callback", data=raw, content_type="application/json",
                       HTTP_X_SIGNATURE=signature)


def test_signed_callbacks_move_the_voice_and_bad_signatures_are_refused(client, cast, webhook_settings):
    with Receiver() as receiver:
        webhook_settings.CLONING_WEBHOOK_URL = receiver.url
        voice = new_voice(cast)
        run_jobs(voice)
    bad = _callback(client, {"voiceId": voice.public_id, "status": "ready"}, secret="wrong")
    assert bad.status_code == 401 and bad.json()["error"]["code"] == "invalid_signature"
    unsigned = client.post("/api/v2/speech/voice-cloning/callback", data=b'{"voiceId": "x", "status": "ready"}',
                           content_type="application/json")
    assert unsigned.status_code == 401
    voice.refresh_from_db()
    assert voice.stage == Voice.Stage.FORWARDED and voice.status == Voice.Status.PROCESSING

    assert _callback(client, {"voiceId": voice.public_id, "status": "training"}).json()["stage"] == "training"
    done = _callback(client, {"voiceId": voice.public_id, "status": "ready", "reference": "v-9"})
    assert done.status_code == 200 and done.json()["status"] == "succeeded"
    assert _callback(client, {"voiceId": voice.public_id, "status": "ready"}).status_code == 200  # repeat: no-op
    assert _callback(client, {"voiceId": voice.public_id, "status": "received"}).status_code == 409
    voice.refresh_from_db()
    assert voice.status == Voice.Status.SUCCEEDED and voice.provider_ref == "v-9"


def test_a_database_error_after_the_claim_is_retried_and_forwards(cast, webhook_settings, monkeypatch,
                                                                  celery_worker):
    """The claim is committed, then the connection dies: the retry takes its own claim back and delivers.

    (Before, the retry found a fresh claim, returned, and the voice waited forever.)
    """
    from django.db import OperationalError

    from voicemanager.cloning.providers import webhook

    real = webhook.forward
    calls = []

    def flaky(voice, package):
        calls.append(voice.pk)
        if len(calls) == 1:
            raise OperationalError("terminating connection due to administrator command")
        return real(voice, package)

    monkeypatch.setattr(webhook, "forward", flaky)
    with Receiver() as receiver:
        webhook_settings.CLONING_WEBHOOK_URL = receiver.url
        with transaction.atomic():
            voice = new_voice(cast, alias="db-blip")  # on commit: package_voice.delay, then forward_voice
        deadline = time.monotonic() + 60
        package = None
        while time.monotonic() < deadline:
            package = VoicePackage.objects.filter(voice=voice).first()
            if package and package.forwarded_at:
                break
            time.sleep(0.2)
    assert package and package.forwarded_at, f"not delivered in 60 s after {len(calls)} attempts"
    assert len(calls) == 2 and len(receiver.requests) == 1 and package.forward_attempts == 2
