"""Native-language warnings: a clone trained on a non-native speaker may carry an accent.

Assigning a script, or submitting a set, in a language that is not among the
speaker's native languages shows ``language_warning(...)``; the admin must tick a
box to go ahead, and ``record_warning_accepted(...)`` keeps who did (on the task or
voice, plus an audit event).

When the speaker has not told us their native languages yet (e.g. a contractor
invited but not signed up) there is nothing to compare, so no warning is shown.
"""
from __future__ import annotations

from voicemanager.core import audit
from voicemanager.core.languages import LANGUAGE_NAMES, PROFESSIONAL_LANGUAGES

LANGUAGE_FIELD_CHOICES = sorted(PROFESSIONAL_LANGUAGES, key=lambda item: item[1])


def base_code(language: str) -> str:
    """``en-GB`` and ``en_us`` compare as ``en``."""
    return (language or "").strip().lower().replace("_", "-").split("-")[0]


def language_name(language: str) -> str:
    return LANGUAGE_NAMES.get(base_code(language), language or "unknown")


def clean_languages(values) -> list[str]:
    """Known language codes from a form or JSON, deduplicated, in the given order."""
    if isinstance(values, str):
        values = [v for v in values.replace(";", ",").split(",")]
    seen: list[str] = []
    for value in values or []:
        code = base_code(str(value))
        if code in LANGUAGE_NAMES and code not in seen:
            seen.append(code)
    return seen


def language_warning(speaker, language: str) -> str | None:
    """A sentence to show the admin when ``language`` is not a native language of ``speaker``; else None."""
    if speaker is None or not language:
        return None
    natives = clean_languages(speaker.native_languages or [])
    if not natives or base_code(language) in natives:
        return None
    spoken = ", ".join(language_name(code) for code in natives)
    who = speaker.full_name or speaker.email
    return (
        f"{who}'s native language is {spoken}, not {language_name(language)}. A voice cloned from "
        f"{language_name(language)} recordings by a non-native speaker may carry an accent and mispronunciations."
    )


def record_warning_accepted(target, speaker, language: str, actor, *, organisation=None,
                            actor_label: str = "") -> None:
    """Keep who went ahead despite the warning, on the task or voice (``language_warning_accepted_by``).

    An API key is not a user: the field stays empty and the audit event carries the key's
    organisation and ``actor_label`` (e.g. ``api_key:vmk_AbCd…``) instead.
    """
    if getattr(actor, "is_authenticated", False):
        type(target).objects.filter(pk=target.pk).update(language_warning_accepted_by=actor)
        target.language_warning_accepted_by = actor
    audit.record(
        "language_warning.accepted", actor=actor, organisation=organisation or getattr(target, "organisation", None),
        actor_label=actor_label,
        target=target, language=base_code(language), speaker=getattr(speaker, "public_id", ""),
        native_languages=clean_languages(getattr(speaker, "native_languages", []) or []),
    )


def speaker_for_email(email: str):
    """The contractor speaker an assignment to ``email`` will use, if they are known already."""
    from voicemanager.models import Speaker

    email = (email or "").strip().lower()
    return (Speaker.objects.filter(user__email=email).first()
            or Speaker.objects.filter(email__iexact=email, kind=Speaker.Kind.CONTRACTOR).first())


def warning_accepted(form, warning: str | None, field: str = "accept_language_warning") -> bool:
    """True when there is no warning or the admin ticked the box; else show the warning beside the box.

    The form declares ``field`` as a hidden ``BooleanField``; it becomes a visible
    checkbox only when there is something to accept.
    """
    if not warning or form.cleaned_data.get(field):
        return True
    from django import forms

    form.fields[field].widget = forms.CheckboxInput()
    form.add_error(field, warning)
    return False
