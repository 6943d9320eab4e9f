"""The deletion request form, used by the public page (and the booth) and the operator page.

It asks for what a talent knows: their name and email, and if they like the voice's alias or
the studio's name. No internal id: staff match the request to what is behind it.
"""
from __future__ import annotations

from django import forms

from voicemanager.models import DeletionRequest


class DeletionRequestForm(forms.Form):
    first_name = forms.CharField(max_length=100)
    last_name = forms.CharField(max_length=100)
    email = forms.EmailField(
        help_text="The address you were invited or recorded with. We send a confirmation link here; "
                  "nothing happens until you click it.")
    voice_alias = forms.CharField(
        label="Name of the voice (optional)", max_length=100, required=False,
        help_text="If the studio told you the name it gave your voice.")
    organisation_ref = forms.CharField(
        label="Studio or organisation (optional)", max_length=200, required=False,
        help_text="The studio you recorded for. Leave it empty to cover every studio you recorded for.")
    scope = forms.ChoiceField(choices=DeletionRequest.Scope.choices, initial=DeletionRequest.Scope.VOICE,
                              widget=forms.RadioSelect, label="What should be deleted?")
    urgent = forms.BooleanField(
        required=False, label="Urgent: delete immediately and keep no backup",
        help_text="Without a backup a deletion cannot be undone, even if it was requested by mistake.")

    @classmethod
    def initial_for(cls, user) -> dict:
        """Filled in from a logged-in talent's account (the booth's link): name, email, their studio."""
        if not getattr(user, "is_authenticated", False) or user.is_staff:
            return {}
        first, _, last = (user.full_name or "").strip().partition(" ")
        initial = {"first_name": first, "last_name": last, "email": user.email}
        speaker = getattr(user, "speaker", None)  # None for an account without a speaker profile
        if speaker is not None:
            studios = sorted(set(speaker.recording_tasks.values_list("organisation__name", flat=True)))
            if len(studios) == 1:
                initial["organisation_ref"] = studios[0]
        return initial
