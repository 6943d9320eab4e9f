"""The contractor's account form behind an invitation link."""
from __future__ import annotations

from django import forms

from voicemanager.accounts.forms import NewAccountForm
from voicemanager.core.languages import LANGUAGE_CHOICES


class ContractorSignupForm(NewAccountForm):
    email = forms.EmailField(disabled=True, required=False, help_text="Fixed by the invitation.")
    native_languages = forms.MultipleChoiceField(
        choices=LANGUAGE_CHOICES, label="Native language(s)",
        widget=forms.CheckboxSelectMultiple(attrs={"class": "checkbox-grid"}),
    )
    field_order = ["email", "full_name", "native_languages", "password1", "password2"]

    def __init__(self, *args, invitation_email: str, **kwargs):
        super().__init__(*args, email=invitation_email, **kwargs)
        self.invitation_email = invitation_email
        self.fields["email"].initial = invitation_email
