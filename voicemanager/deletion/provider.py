"""Asking the cloning provider to delete what it received for a voice (part of the delete step).

``operator``: the package never left us (staff trained from it in the ops queue), so deleting
the voice and its package here is the deletion; this is recorded, nothing is sent.
``webhook``: a signed ``voice.delete_requested`` event goes to ``CLONING_WEBHOOK_URL`` (same
signature and ``Idempotency-Key`` scheme as forwarding), naming the voice and the provider's
reference. A provider that cannot be reached raises ``TransientForwardError`` and the job
retries; each voice is asked once (an audit event per voice records the ask and the answer).
"""
from __future__ import annotations

from voicemanager.cloning.providers import PROVIDERS, webhook
from voicemanager.core import audit
from voicemanager.models import AuditEvent, DeletionRequest

ASKED = "deletion.provider_asked"


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
            webhook.post({"event": "voice.delete_requested", "voiceId": fwd["voice"], "alias": fwd["alias"],
                          "providerReference": fwd.get("provider_ref", ""), "requestId": req.public_id,
                          "scope": "voice, its training package and everything derived from them"},
                         f"delete:{fwd['voice']}")
            answer = "accepted"
            sent = True
        else:
            answer = "held by our own staff: deleted here with the voice" if name in PROVIDERS else "unknown provider"
            sent = False
        audit.record(ASKED, organisation=req.organisation, target=req, voice=fwd["voice"], alias=fwd["alias"],
                     provider=name, provider_ref=fwd.get("provider_ref", ""), sent=sent, answer=answer)
        asked.append({"voice": fwd["voice"], "provider": name, "sent": sent, "answer": answer})
    return asked
