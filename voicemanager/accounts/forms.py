"""Account forms: the account part of every sign-up behind a link, the team invitation and its sign-up."""
from __future__ import annotations

from django import forms
from django.contrib.auth.password_validation import validate_password

from voicemanager.models import Membership, User


class NewAccountForm(forms.Form):
    """Full name and a password typed twice, validated against the invited email."""

    full_name = forms.CharField(max_length=200, label="Full name")
    password1 = forms.CharField(label="Password", strip=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    password2 = forms.CharField(label="Password again", strip=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def __init__(self, *args, email: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.account_email = email

    def clean(self):
        data = super().clean()
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", "The two passwords differ.")
        elif p1:
            try:
                validate_password(p1, User(email=self.account_email, full_name=data.get("full_name", "")))
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return data


class TeamInviteForm(forms.Form):
    organisation = forms.ChoiceField()
    email = forms.EmailField()
    role = forms.ChoiceField(choices=Membership.Role.choices, initial=Membership.Role.MEMBER,
                             help_text="Admins invite, delete and manage the team; members manage recordings "
                                       "and listen.")

    def __init__(self, *args, organisations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.organisations = {o.public_id: o for o in organisations}
        self.fields["organisation"].choices = [(o.public_id, o.name) for o in organisations]


class JoinSignupForm(NewAccountForm):
    """Full name and password for a new team member (the email is the invitation's)."""
