"""The contractor's account form behind an invitation link."""
from __future__ import annotations

from django import forms
from django.contrib.auth.password_validation import validate_password

from voicemanager.languages import LANGUAGE_CHOICES
from voicemanager.models import User


class ContractorSignupForm(forms.Form):
    email = forms.EmailField(disabled=True, required=False, help_text="Fixed by the invitation.")
    full_name = forms.CharField(max_length=200, label="Full name")
    native_languages = forms.MultipleChoiceField(
        choices=LANGUAGE_CHOICES, label="Native language(s)", widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    password1 = forms.CharField(label="Password", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
                                strip=False)
    password2 = forms.CharField(label="Password again", strip=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def __init__(self, *args, invitation_email: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.invitation_email = invitation_email
        self.fields["email"].initial = invitation_email

    def clean(self):
        data = super().clean()
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", "The two passwords differ.")
        elif p1:
            try:
                validate_password(p1, User(email=self.invitation_email, full_name=data.get("full_name", "")))
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return data
