"""The deletion request form, used by the public page and the operator page."""
from __future__ import annotations

from django import forms

from voicemanager.models import DeletionRequest


class DeletionRequestForm(forms.Form):
    first_name = forms.CharField(max_length=100)
    last_name = forms.CharField(max_length=100)
    email = forms.EmailField(help_text="We send a confirmation link here; nothing happens until you click it.")
    organisation_ref = forms.CharField(
        label="Organisation id", max_length=100, help_text="The organisation's id, starting with org_.")
    voice_alias = forms.CharField(
        label="Voice alias", max_length=100, required=False,
        help_text="If you know it. Without an alias we look for voices recorded under your email address.")
    scope = forms.ChoiceField(choices=DeletionRequest.Scope.choices, initial=DeletionRequest.Scope.VOICE,
                              widget=forms.RadioSelect)
    urgent = forms.BooleanField(
        required=False, label="Urgent: delete immediately and keep no backup",
        help_text="Without a backup a deletion cannot be undone, even if it was requested by mistake.")

    def clean_organisation_ref(self) -> str:
        value = self.cleaned_data["organisation_ref"].strip()
        if not value.startswith("org_"):
            raise forms.ValidationError("Organisation ids start with org_ (ask the organisation for it).")
        return value
