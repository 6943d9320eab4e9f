"""One test per hardening finding that lives in the domain (see README, Hardening).

Each runs on the real services and failed before its fix.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import re
import uuid
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

# --- 1. the provider callback exists only for the webhook provider ------------------------------------


def _signed(client, path: str, body: dict, secret: str):
    raw = json.dumps(body).encode()
    signature = "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    return client.post(path, data=raw, content_type="application/json", HTTP_X_SIGNATURE=signature)


def test_callback_signed_with_the_default_secret_changes_nothing_under_the_operator_provider(client, cast, mail,
                                                                                             settings):
    from voicemanager.cloning import voices as cloning
    from voicemanager.tests.cloning_fixtures import add_credits, make_audio_file, voice_owner

    assert settings.CLONING_PROVIDER == "operator"
    add_credits(cast.org_x)
    owner = voice_owner(cast.org_x)
    voice = cloning.request_voice(cast.org_x, cast.admin_x, alias="forged",
                                  files=[make_audio_file(cast.org_x, 3.0, speaker=owner, transcript="Hello.")],
                                  metadata={"gender": "male"})
    before = (voice.status, voice.stage, voice.failure_reason, cast.org_x.credit_balance)
    mail.clear()
    for status in ("received", "training", "ready", "failed"):
        resp = _signed(client, "/api/v2/speech/voice-cloning/callback",
                       {"voiceId": voice.public_id, "status": status, "reason": "<b>Forged</b>"},
                       django_settings.DEV_CLONING_WEBHOOK_SECRET)
        assert resp.status_code == 404, (status, resp.content)
    forged_link = client.get(f"/api/v2/speech/voice-cloning/packages/{voice.public_id}?token=anything")
    assert forged_link.status_code == 404
    voice.refresh_from_db()
    cast.org_x.refresh_from_db()
    assert (voice.status, voice.stage, voice.failure_reason, cast.org_x.credit_balance) == before
    assert mail.messages == []
