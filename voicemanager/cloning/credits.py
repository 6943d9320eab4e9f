"""Credit ledger rules: every change is a ``CreditEntry``; the balance is their sum.

- An instant voice costs ``settings.INSTANT_VOICE_CREDITS``, charged once when it
  succeeds (``on_voice_succeeded``; idempotency key ``voice:<id>:charge``, unique in
  the database, so a status update delivered twice charges once). A failed voice
  costs nothing.
- A professional voice is charged the amount staff quoted, when the organisation's
  admin accepts the quote (``accept_quote``). ``tasks.cloning.forward_voice`` does not
  forward a professional package before that; acceptance enqueues it again.
- ``check_can_create`` refuses a new voice the organisation cannot pay for. Instant
  voices still in flight hold their price back, so ten parallel requests cannot all
  spend the same 300 credits.
"""
from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction

from voicemanager.core import audit, outbox
from voicemanager.models import CreditEntry, CreditQuote, Membership, Organisation, Voice


class InsufficientCredits(Exception):
    """The organisation cannot pay for this voice. The API answers 402 ``insufficient_credits``."""

    code = "insufficient_credits"
    status = 402

    def __init__(self, organisation: Organisation, needed: int, available: int):
        self.organisation, self.needed, self.available = organisation, needed, available
        super().__init__(
            f"Not enough credits: this needs {needed} credits and {organisation.name} has {available} available. "
            "Ask the Voice Manager team to add credits."
        )

    @property
    def message(self) -> str:
        return str(self)


class QuoteError(Exception):
    """A quote that cannot be accepted or declined now; the message is safe to show."""


def balance(organisation: Organisation) -> int:
    """The sum of the organisation's ledger entries (``Organisation.credit_balance``)."""
    return organisation.credit_balance


def reserved(organisation: Organisation) -> int:
    """Credits held back for instant voices that are still being created (not yet charged or failed)."""
    in_flight = (
        Voice.objects.for_org(organisation)
        .filter(type=Voice.Type.INSTANT, status__in=[Voice.Status.PENDING, Voice.Status.PROCESSING])
        .count()
    )
    return in_flight * settings.INSTANT_VOICE_CREDITS


def available(organisation: Organisation) -> int:
    return balance(organisation) - reserved(organisation)


def price_of(voice_type: str) -> int:
    """Credits needed up front to start a voice of this type (professional: charged by quote later)."""
    return settings.INSTANT_VOICE_CREDITS if voice_type == Voice.Type.INSTANT else 0


def _lock_org(organisation: Organisation) -> None:
    """Serialise spending for one organisation while the caller's transaction is open."""
    if connection.in_atomic_block:
        Organisation.objects.select_for_update().filter(pk=organisation.pk).first()


def check_can_create(organisation: Organisation, voice_type: str) -> None:
    """Raise ``InsufficientCredits`` if the organisation cannot pay for a new voice of this type.

    Call it inside the transaction that creates the voice: the organisation row is
    locked there, so two concurrent creations cannot both spend the same credits.
    A professional voice only needs a non-negative balance here; its quoted price is
    checked when the admin accepts the quote.
    """
    _lock_org(organisation)
    needed = price_of(voice_type)
    have = available(organisation)
    if have < needed or have < 0:
        raise InsufficientCredits(organisation, needed, max(have, 0))


def _charge(organisation: Organisation, amount: int, *, key: str, reason: str, actor=None,
            voice: Voice | None = None) -> CreditEntry | None:
    """Write one debit; return None if the key was already charged (a redelivery)."""
    try:
        with transaction.atomic():
            return CreditEntry.objects.create(
                organisation=organisation, amount=-amount, reason=reason, actor=actor, voice=voice,
                idempotency_key=key,
            )
    except IntegrityError:
        if CreditEntry.objects.filter(idempotency_key=key).exists():
            return None
        raise


def on_voice_succeeded(voice: Voice) -> CreditEntry | None:
    """Charge an instant voice once, when its status is succeeded. Safe to call any number of times."""
    voice = Voice.objects.select_related("organisation").filter(pk=voice.pk).first()
    if voice is None or voice.type != Voice.Type.INSTANT or voice.status != Voice.Status.SUCCEEDED:
        return None
    amount = settings.INSTANT_VOICE_CREDITS
    with transaction.atomic():
        entry = _charge(voice.organisation, amount, key=f"voice:{voice.pk}:charge",
                        reason=f"Instant voice {voice.alias} created", voice=voice)
        if entry is not None:
            audit.record("credits.charged", organisation=voice.organisation, target=voice, amount=-amount,
                         reason=entry.reason)
    return entry


def add_credits(organisation: Organisation, amount: int, actor, reason: str) -> CreditEntry:
    """Staff top up an organisation's credits (a positive entry with who and why)."""
    if actor is None or not getattr(actor, "is_staff", False):
        raise PermissionDenied("Only staff can add credits.")
    if not isinstance(amount, int) or amount <= 0:
        raise ValidationError("The amount must be a whole number of credits greater than 0.")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("Give a reason (e.g. the invoice or order number).")
    with transaction.atomic():
        entry = CreditEntry.objects.create(organisation=organisation, amount=amount, reason=reason[:200],
                                           actor=actor)
        audit.record("credits.added", actor=actor, organisation=organisation, target=entry, amount=amount,
                     reason=entry.reason)
    return entry


# --- professional quotes -----------------------------------------------------------------------


def create_quote(voice: Voice, amount: int, actor, *, data_minutes: int = 0, service_level: str = "standard",
                 note: str = "") -> CreditQuote:
    """Staff quote the price of a professional voice; the admin must accept it before forwarding."""
    if actor is None or not getattr(actor, "is_staff", False):
        raise PermissionDenied("Only staff can quote a price.")
    if voice.type != Voice.Type.PROFESSIONAL:
        raise ValidationError("Only professional voices are quoted; instant voices cost a fixed price.")
    if not isinstance(amount, int) or amount <= 0:
        raise ValidationError("The quoted amount must be a whole number of credits greater than 0.")
    if service_level not in CreditQuote.ServiceLevel.values:
        raise ValidationError("Unknown service level.")
    with transaction.atomic():
        Voice.objects.select_for_update().filter(pk=voice.pk).first()
        if CreditQuote.objects.filter(voice=voice, status=CreditQuote.Status.ACCEPTED).exists():
            raise ValidationError("This voice's quote was already accepted and charged.")
        # A new quote replaces the open one (e.g. a corrected amount).
        CreditQuote.objects.filter(voice=voice).withdraw_pending(actor)
        quote = CreditQuote.objects.create(
            organisation=voice.organisation, voice=voice, amount=amount, language=voice.language,
            data_minutes=max(int(data_minutes or 0), 0), service_level=service_level, note=note.strip(),
            created_by=actor,
        )
        audit.record("credits.quoted", actor=actor, organisation=voice.organisation, target=voice,
                     amount=amount, quote=quote.pk, service_level=service_level, data_minutes=quote.data_minutes)
    return quote


def _require_admin(user, organisation: Organisation) -> None:
    if user.is_staff:
        return
    if not Membership.objects.filter(user=user, organisation=organisation, role=Membership.Role.ADMIN).exists():
        raise PermissionDenied("Only an admin of this organisation can accept or decline a quote.")


def accept_quote(quote: CreditQuote, user) -> CreditEntry:
    """The admin accepts the price: charge it now (once), or refuse with ``InsufficientCredits``."""
    _require_admin(user, quote.organisation)
    with transaction.atomic():
        _lock_org(quote.organisation)
        locked = CreditQuote.objects.select_for_update().select_related("voice", "organisation").get(pk=quote.pk)
        if locked.status != CreditQuote.Status.PENDING:
            raise QuoteError(f"This quote is {locked.get_status_display().lower()}; it cannot be accepted.")
        have = available(locked.organisation)
        if have < locked.amount:
            raise InsufficientCredits(locked.organisation, locked.amount, max(have, 0))
        entry = _charge(locked.organisation, locked.amount, key=f"quote:{locked.pk}:charge", actor=user,
                        voice=locked.voice, reason=f"Professional voice {locked.voice.alias} (quote {locked.pk})")
        locked.accept(user, entry)
        audit.record("credits.quote_accepted", actor=user, organisation=locked.organisation, target=locked.voice,
                     amount=-locked.amount, quote=locked.pk)
        voice_pk = locked.voice_id
        if _waiting_for_forward(voice_pk):
            outbox.enqueue("tasks.cloning.forward_voice", voice_pk)
    quote.refresh_from_db()
    return entry


def _waiting_for_forward(voice_pk: int) -> bool:
    """The forward job skipped a professional voice without an accepted quote; it is sent on now."""
    from voicemanager.models import VoicePackage

    return VoicePackage.objects.filter(voice_id=voice_pk, built_at__isnull=False, forwarded_at=None).exists()


def decline_quote(quote: CreditQuote, user) -> None:
    _require_admin(user, quote.organisation)
    with transaction.atomic():
        locked = CreditQuote.objects.select_for_update().get(pk=quote.pk)
        if locked.status != CreditQuote.Status.PENDING:
            raise QuoteError(f"This quote is {locked.get_status_display().lower()}; it cannot be declined.")
        locked.decline(user)
        audit.record("credits.quote_declined", actor=user, organisation=locked.organisation, target=locked.voice,
                     amount=locked.amount, quote=locked.pk)
    quote.refresh_from_db()


def professional_quote_accepted(voice: Voice) -> bool:
    """True when the professional voice's quote is accepted (charged): the set may be forwarded."""
    return CreditQuote.objects.filter(voice=voice, status=CreditQuote.Status.ACCEPTED).exists()
