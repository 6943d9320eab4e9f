"""Asking the cloning provider to delete what it received for a voice (part of the delete step).

``operator``: the package never left us (staff trained from it in the ops queue), so deleting
the voice and its package here is the deletion; this is recorded, nothing is sent.
``webhook``: a signed ``voice.delete_requested`` event goes to ``CLONING_WEBHOOK_URL`` (same
signature and ``Idempotency-Key`` scheme as forwarding), naming the voice and the provider's
reference. A provider that cannot be reached raises ``TransientForwardError`` and the job
retries; each voice is asked once (an audit event per voice records the ask and the answer).
"""
from __future__ import annotations

import json
import urllib.error
import urllib.request

from django.conf import settings

from voicemanager.models import AuditEvent, DeletionRequest, audit
from voicemanager.providers import PROVIDERS, PermanentForwardError, TransientForwardError, webhook

TIMEOUT_S = 15
ASKED = "deletion.provider_asked"


def _post(event: dict) -> str:
    url = getattr(settings, "CLONING_WEBHOOK_URL", "")
    if not url.startswith(("https://", "http://")):
        raise PermanentForwardError("CLONING_WEBHOOK_URL is not an http(s) URL: the provider could not be asked.")
    body = json.dumps(event, separators=(",", ":"), sort_keys=True).encode()
    request = urllib.request.Request(url, data=body, method="POST", headers={  # noqa: S310 - scheme checked
        "Content-Type": "application/json", "X-Signature": webhook.sign(body),
        "Idempotency-Key": f"delete:{event['voiceId']}", "User-Agent": "voicemanager-webhook/1",
    })
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:  # noqa: S310 - configured URL
            return f"HTTP {response.status}"
    except urllib.error.HTTPError as exc:
        if exc.code in (408, 425, 429) or exc.code >= 500:
            raise TransientForwardError(f"The provider answered HTTP {exc.code}.") from exc
        raise PermanentForwardError(f"The provider refused the deletion request: HTTP {exc.code}.") from exc
    except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
        raise TransientForwardError(f"Could not reach the provider: {exc}.") from exc


def ask(req: DeletionRequest) -> list[dict]:
    """Ask, once per forwarded voice, the provider to delete it; returns what was asked now."""
    done = set(AuditEvent.objects.filter(target_id=req.public_id, action=ASKED)
               .values_list("details__voice", flat=True))
    asked = []
    for fwd in req.found.get("forwarded", []):
        if not fwd.get("forwarded_at") or fwd["voice"] in done:
            continue
        name = fwd.get("provider") or "operator"
        if name == "webhook":
            answer = _post({"event": "voice.delete_requested", "voiceId": fwd["voice"], "alias": fwd["alias"],
                            "providerReference": fwd.get("provider_ref", ""), "requestId": req.public_id,
                            "scope": "voice, its training package and everything derived from them"})
            sent = True
        else:
            answer = "held by our own staff: deleted here with the voice" if name in PROVIDERS else "unknown provider"
            sent = False
        audit.record(ASKED, organisation=req.organisation, target=req, voice=fwd["voice"], alias=fwd["alias"],
                     provider=name, provider_ref=fwd.get("provider_ref", ""), sent=sent, answer=answer)
        asked.append({"voice": fwd["voice"], "provider": name, "sent": sent, "answer": answer})
    return asked
