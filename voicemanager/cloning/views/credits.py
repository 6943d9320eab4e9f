"""Credits: balance and ledger for an organisation's admins; staff add credits and quote professional voices."""
from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from voicemanager.cloning import credits
from voicemanager.cloning.forms import AddCreditsForm, QuoteForm
from voicemanager.core.access import (
    admin_organisations,
    get_org_for_admin,
    get_quote_for_admin,
    staff_required,
    team_required,
)
from voicemanager.models import CreditQuote, Organisation, Voice

LEDGER_ROWS = 200






def quotable_voices(org: Organisation):
    """Professional voices of the organisation that have no accepted quote yet."""
    return (Voice.objects.for_org(org).filter(type=Voice.Type.PROFESSIONAL)
            .exclude(quotes__status=CreditQuote.Status.ACCEPTED).order_by("-created_at"))


@team_required
def credits_home(request: HttpRequest) -> HttpResponse:
    """One organisation: straight to its ledger; several: a list with balances."""
    orgs = list(admin_organisations(request.user).order_by("name"))
    if len(orgs) == 1:
        return redirect("credits_org", org_id=orgs[0].public_id)
    rows = [(org, credits.balance(org)) for org in orgs]
    return render(request, "voicemanager/credits/home.html", {"rows": rows})


def credits_context(request: HttpRequest, org: Organisation) -> dict:
    bal = credits.balance(org)
    context = {
        "org": org,
        "balance": bal,
        "reserved": credits.reserved(org),
        "available": bal - credits.reserved(org),
        "entries": org.credit_entries.select_related("actor", "voice").order_by("-created_at", "-pk")[:LEDGER_ROWS],
        "entry_count": org.credit_entries.count(),
        "quotes": CreditQuote.objects.for_org(org).select_related("voice", "created_by", "decided_by")[:50],
        "instant_price": credits.price_of(Voice.Type.INSTANT),
    }
    if request.user.is_staff:
        context["add_form"] = AddCreditsForm()
        context["quote_form"] = QuoteForm(voices=quotable_voices(org))
    return context


@team_required
def credits_org(request: HttpRequest, org_id: str) -> HttpResponse:
    org = get_org_for_admin(request, org_id)
    return render(request, "voicemanager/credits/org.html", credits_context(request, org))


@staff_required
@require_POST
def credits_add(request: HttpRequest, org_id: str) -> HttpResponse:
    org = get_org_for_admin(request, org_id)
    form = AddCreditsForm(request.POST)
    if form.is_valid():
        try:
            entry = credits.add_credits(org, form.cleaned_data["amount"], request.user, form.cleaned_data["reason"])
            messages.success(request, f"Added {entry.amount} credits to {org.name}.")
            return redirect("credits_org", org_id=org.public_id)
        except ValidationError as exc:
            form.add_error(None, exc)
    context = credits_context(request, org) | {"add_form": form}
    return render(request, "voicemanager/credits/org.html", context, status=400)


@staff_required
@require_POST
def quote_create(request: HttpRequest, org_id: str) -> HttpResponse:
    org = get_org_for_admin(request, org_id)
    form = QuoteForm(request.POST, voices=quotable_voices(org))
    if form.is_valid():
        voice = form.voices[form.cleaned_data["voice"]]
        try:
            quote = credits.create_quote(voice, form.cleaned_data["amount"], request.user,
                                         data_minutes=form.cleaned_data.get("data_minutes") or 0,
                                         service_level=form.cleaned_data["service_level"],
                                         note=form.cleaned_data.get("note") or "")
            messages.success(request, f"Quoted {quote.amount} credits for {voice.alias}; waiting for the admin.")
            return redirect("credits_org", org_id=org.public_id)
        except ValidationError as exc:
            form.add_error(None, exc)
    context = credits_context(request, org) | {"quote_form": form}
    return render(request, "voicemanager/credits/org.html", context, status=400)


@team_required
@require_POST
def quote_accept(request: HttpRequest, org_id: str, pk: int) -> HttpResponse:
    quote = get_quote_for_admin(request, org_id, pk)
    try:
        credits.accept_quote(quote, request.user)
        messages.success(request, f"Accepted: {quote.amount} credits charged for {quote.voice.alias}. "
                                  "The set can now be forwarded.")
    except (credits.InsufficientCredits, credits.QuoteError) as exc:
        messages.error(request, str(exc))
    return redirect("credits_org", org_id=quote.organisation.public_id)


@team_required
@require_POST
def quote_decline(request: HttpRequest, org_id: str, pk: int) -> HttpResponse:
    quote = get_quote_for_admin(request, org_id, pk)
    try:
        credits.decline_quote(quote, request.user)
        messages.success(request, f"Declined the quote for {quote.voice.alias}; it will not be forwarded.")
    except credits.QuoteError as exc:
        messages.error(request, str(exc))
    return redirect("credits_org", org_id=quote.organisation.public_id)
