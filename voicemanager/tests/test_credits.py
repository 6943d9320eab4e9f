"""Credits: the ledger, the instant-voice charge (once), professional quotes, and who may see or add."""
import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from voicemanager.cloning import credits
from voicemanager.models import AuditEvent, CreditEntry, CreditQuote, Voice


def make_voice(org, *, type="instant", status="pending", alias=None):
    return Voice.objects.create(organisation=org, alias=alias or f"v-{Voice.objects.count() + 1}-{type}",
                                type=type, status=status, language="en")


def succeed(voice):
    """What the cloning flow does when the provider reports success."""
    Voice.objects.filter(pk=voice.pk).update(status=Voice.Status.SUCCEEDED)
    return credits.on_voice_succeeded(voice)


def test_ledger_sums_to_the_balance(cast):
    credits.add_credits(cast.org_x, 1000, cast.staff, "invoice 1")
    credits.add_credits(cast.org_x, 250, cast.staff, "invoice 2")
    succeed(make_voice(cast.org_x))
    total = sum(CreditEntry.objects.filter(organisation=cast.org_x).values_list("amount", flat=True))
    assert credits.balance(cast.org_x) == total == 1000 + 250 - 300
    assert cast.org_x.credit_balance == total
    assert credits.balance(cast.org_y) == 0


def test_instant_voice_is_charged_once_even_when_success_is_delivered_twice(cast):
    credits.add_credits(cast.org_x, 1000, cast.staff, "top-up")
    voice = make_voice(cast.org_x)
    first = succeed(voice)
    second = succeed(voice)
    assert first is not None and first.amount == -300
    assert second is None
    assert CreditEntry.objects.filter(voice=voice).count() == 1
    assert credits.balance(cast.org_x) == 700
    assert AuditEvent.objects.filter(action="credits.charged", target_id=voice.public_id).count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_success_deliveries_charge_once(transactional_db):
    from voicemanager.tests.factories import OrganisationFactory, UserFactory

    org = OrganisationFactory()
    staff = UserFactory(is_staff=True)
    credits.add_credits(org, 1000, staff, "top-up")
    voice = make_voice(org, status="succeeded")
    barrier = threading.Barrier(4)
    results, errors = [], []

    def deliver():
        try:
            barrier.wait(timeout=10)
            results.append(credits.on_voice_succeeded(voice))
        except Exception as exc:  # pragma: no cover - shown on failure
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors
    assert sum(1 for r in results if r is not None) == 1
    assert credits.balance(org) == 700


def test_failed_voice_is_not_charged(cast):
    credits.add_credits(cast.org_x, 500, cast.staff, "top-up")
    voice = make_voice(cast.org_x)
    Voice.objects.filter(pk=voice.pk).update(status=Voice.Status.FAILED)
    assert credits.on_voice_succeeded(voice) is None
    assert credits.balance(cast.org_x) == 500
    assert not CreditEntry.objects.filter(voice=voice).exists()


def test_pending_voice_is_not_charged_yet(cast):
    credits.add_credits(cast.org_x, 500, cast.staff, "top-up")
    voice = make_voice(cast.org_x, status="processing")
    assert credits.on_voice_succeeded(voice) is None
    assert credits.balance(cast.org_x) == 500


def test_insufficient_balance_is_refused(cast):
    credits.add_credits(cast.org_x, 299, cast.staff, "top-up")
    with pytest.raises(credits.InsufficientCredits) as exc:
        credits.check_can_create(cast.org_x, Voice.Type.INSTANT)
    assert exc.value.status == 402 and exc.value.code == "insufficient_credits"
    assert "300" in exc.value.message and "299" in exc.value.message
    credits.add_credits(cast.org_x, 1, cast.staff, "one more")
    credits.check_can_create(cast.org_x, Voice.Type.INSTANT)  # exactly enough


def test_instant_voices_in_flight_hold_their_price(cast):
    credits.add_credits(cast.org_x, 600, cast.staff, "top-up")
    make_voice(cast.org_x, status="processing")
    credits.check_can_create(cast.org_x, Voice.Type.INSTANT)  # 600 - 300 held = 300: enough for one more
    make_voice(cast.org_x, status="pending")
    with pytest.raises(credits.InsufficientCredits):
        credits.check_can_create(cast.org_x, Voice.Type.INSTANT)


def test_only_staff_add_credits(cast):
    with pytest.raises(PermissionDenied):
        credits.add_credits(cast.org_x, 100, cast.admin_x, "self-service")
    with pytest.raises(ValidationError):
        credits.add_credits(cast.org_x, 0, cast.staff, "nothing")
    with pytest.raises(ValidationError):
        credits.add_credits(cast.org_x, 10, cast.staff, "  ")
    assert credits.balance(cast.org_x) == 0


def test_professional_quote_is_charged_on_acceptance_once(cast):
    credits.add_credits(cast.org_x, 5000, cast.staff, "top-up")
    voice = make_voice(cast.org_x, type="professional")
    credits.check_can_create(cast.org_x, Voice.Type.PROFESSIONAL)
    quote = credits.create_quote(voice, 3000, cast.staff, data_minutes=90, service_level="priority")
    assert not credits.professional_quote_accepted(voice)
    assert credits.balance(cast.org_x) == 5000
    with pytest.raises(PermissionDenied):
        credits.accept_quote(quote, cast.member_x)
    with pytest.raises(PermissionDenied):
        credits.accept_quote(quote, cast.admin_y)
    credits.accept_quote(quote, cast.admin_x)
    assert quote.status == CreditQuote.Status.ACCEPTED
    assert credits.balance(cast.org_x) == 2000
    assert credits.professional_quote_accepted(voice)
    with pytest.raises(credits.QuoteError):
        credits.accept_quote(quote, cast.admin_x)
    assert credits.balance(cast.org_x) == 2000


def test_quote_larger_than_balance_is_refused_and_nothing_charged(cast):
    credits.add_credits(cast.org_x, 100, cast.staff, "top-up")
    voice = make_voice(cast.org_x, type="professional")
    quote = credits.create_quote(voice, 3000, cast.staff)
    with pytest.raises(credits.InsufficientCredits):
        credits.accept_quote(quote, cast.admin_x)
    quote.refresh_from_db()
    assert quote.status == CreditQuote.Status.PENDING
    assert credits.balance(cast.org_x) == 100


def test_new_quote_replaces_the_open_one(cast):
    voice = make_voice(cast.org_x, type="professional")
    first = credits.create_quote(voice, 3000, cast.staff)
    second = credits.create_quote(voice, 2500, cast.staff)
    first.refresh_from_db()
    assert first.status == CreditQuote.Status.WITHDRAWN and second.status == CreditQuote.Status.PENDING
    with pytest.raises(PermissionDenied):
        credits.create_quote(voice, 10, cast.admin_x)
    with pytest.raises(ValidationError):
        credits.create_quote(make_voice(cast.org_x), 10, cast.staff)


# --- pages -------------------------------------------------------------------------------------


def test_admin_sees_balance_and_ledger(client, cast):
    credits.add_credits(cast.org_x, 1200, cast.staff, "invoice 77")
    client.force_login(cast.admin_x)
    page = client.get(f"/vm/credits/{cast.org_x.public_id}/").content.decode()
    assert 'id="balance">1200<' in page and "invoice 77" in page
    assert "Add credits" not in page  # staff only
    assert client.get("/vm/credits/").status_code == 302  # one org: straight to its ledger


@pytest.mark.parametrize("who,status", [("member_x", 403), ("admin_y", 404), ("outsider", 404),
                                        ("contractor_a", 404)])
def test_others_cannot_see_the_ledger(client, cast, who, status):
    client.force_login(getattr(cast, who))
    assert client.get(f"/vm/credits/{cast.org_x.public_id}/").status_code == status


def test_anonymous_is_sent_to_login_from_credits(client, cast):
    response = client.get(f"/vm/credits/{cast.org_x.public_id}/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_staff_add_credits_on_the_page(client, cast):
    client.force_login(cast.staff)
    response = client.post(f"/vm/credits/{cast.org_x.public_id}/add/", {"amount": "900", "reason": "PO-1"})
    assert response.status_code == 302
    assert credits.balance(cast.org_x) == 900
    event = AuditEvent.objects.get(action="credits.added")
    assert event.by_staff and event.actor == cast.staff
    assert client.post(f"/vm/credits/{cast.org_x.public_id}/add/", {"amount": "-5", "reason": "x"}).status_code == 400
    assert credits.balance(cast.org_x) == 900


def test_admin_cannot_add_credits_on_the_page(client, cast):
    client.force_login(cast.admin_x)
    response = client.post(f"/vm/credits/{cast.org_x.public_id}/add/", {"amount": "900", "reason": "PO-1"})
    assert response.status_code == 404
    assert credits.balance(cast.org_x) == 0


def test_quote_flow_through_the_pages(client, cast):
    credits.add_credits(cast.org_x, 4000, cast.staff, "top-up")
    voice = make_voice(cast.org_x, type="professional", alias="pro-voice")
    client.force_login(cast.staff)
    response = client.post(f"/vm/credits/{cast.org_x.public_id}/quotes/",
                           {"voice": voice.public_id, "amount": "3500", "data_minutes": "120",
                            "service_level": "standard", "note": "English, 2 h"})
    assert response.status_code == 302
    quote = CreditQuote.objects.get(voice=voice)
    client.force_login(cast.member_x)
    assert client.post(f"/vm/credits/{cast.org_x.public_id}/quotes/{quote.pk}/accept/").status_code == 403
    client.force_login(cast.admin_y)
    assert client.post(f"/vm/credits/{cast.org_y.public_id}/quotes/{quote.pk}/accept/").status_code == 404
    client.force_login(cast.admin_x)
    page = client.get(f"/vm/credits/{cast.org_x.public_id}/").content.decode()
    assert "Accept and pay 3500" in page
    client.post(f"/vm/credits/{cast.org_x.public_id}/quotes/{quote.pk}/accept/")
    assert credits.balance(cast.org_x) == 500
    quote.refresh_from_db()
    assert quote.status == "accepted" and quote.decided_by == cast.admin_x


# --- through the cloning flow (issue 6's code calling these rules) --------------------------------


def forwarded_voice(cast, type="instant"):
    from voicemanager.tests.cloning_fixtures import voice_owner

    return Voice.objects.create(organisation=cast.org_x, alias=f"flow-{type}", type=type, language="en",
                                status=Voice.Status.PROCESSING, stage=Voice.Stage.FORWARDED,
                                speaker=voice_owner(cast.org_x))


def test_ready_status_delivered_twice_charges_once(cast):
    from voicemanager.cloning.voices import advance_stage

    credits.add_credits(cast.org_x, 1000, cast.staff, "top-up")
    voice = forwarded_voice(cast)
    advance_stage(voice, Voice.Stage.READY, actor=cast.staff)
    advance_stage(voice, Voice.Stage.READY, actor=cast.staff)  # the same callback again
    assert CreditEntry.objects.filter(voice=voice).count() == 1
    assert credits.balance(cast.org_x) == 700


def test_failed_status_charges_nothing(cast):
    from voicemanager.cloning.voices import advance_stage

    credits.add_credits(cast.org_x, 1000, cast.staff, "top-up")
    voice = forwarded_voice(cast)
    advance_stage(voice, Voice.Stage.FAILED, reason="provider rejected the set", actor=cast.staff)
    assert credits.balance(cast.org_x) == 1000 and not CreditEntry.objects.filter(voice=voice).exists()


def test_api_refuses_a_voice_without_credits_and_creates_nothing(client, cast):
    from voicemanager.tests.cloning_fixtures import make_audio_file, voice_owner

    owner = voice_owner(cast.org_x)
    files = [make_audio_file(cast.org_x, 3.0, speaker=owner) for _ in range(2)]
    credits.add_credits(cast.org_x, 299, cast.staff, "almost")
    response = client.post("/api/v2/speech/voice-cloning", content_type="application/json",
                           HTTP_X_API_KEY=cast.api_key_x,
                           data={"fileIds": [f.public_id for f in files], "alias": "too-poor",
                                 "engine": "voice_engine_3", "metadata": {}})
    assert response.status_code == 402
    error = response.json()["error"]
    assert error["code"] == "insufficient_credits" and "300" in error["message"]
    assert not Voice.objects.exists()
    assert credits.balance(cast.org_x) == 299


def test_professional_package_waits_for_the_accepted_quote_before_forwarding(cast,
                                                                             django_capture_on_commit_callbacks):
    from django.utils import timezone

    from tasks.cloning import forward_voice
    from voicemanager.models import VoicePackage

    voice = forwarded_voice(cast, type="professional")
    Voice.objects.filter(pk=voice.pk).update(stage=Voice.Stage.PACKAGED)
    VoicePackage.objects.create(voice=voice, built_at=timezone.now(), size=1, sha256="0" * 64)
    forward_voice(voice.pk)
    package = VoicePackage.objects.get(voice=voice)
    assert package.forwarded_at is None and package.forward_attempts == 0
    voice.refresh_from_db()
    assert voice.status == Voice.Status.PROCESSING  # waiting, not failed

    credits.add_credits(cast.org_x, 5000, cast.staff, "top-up")
    quote = credits.create_quote(voice, 4000, cast.staff)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        credits.accept_quote(quote, cast.admin_x)
    assert len(callbacks) == 1  # the forward job is queued again after commit
    forward_voice(voice.pk)  # what that job does
    package.refresh_from_db()
    assert package.forwarded_at is not None
    assert credits.balance(cast.org_x) == 1000
