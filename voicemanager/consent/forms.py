"""Consent forms: add a voice owner, and the owner's signature on the public consent page."""
from __future__ import annotations

from django import forms

from voicemanager.core.languages import LANGUAGE_CHOICES


class VoiceOwnerForm(forms.Form):
    organisation = forms.ChoiceField()
    full_name = forms.CharField(max_length=200, label="Voice owner's full name")
    email = forms.EmailField(label="Voice owner's email", help_text="The consent link is sent here.")

    def __init__(self, *args, organisations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.organisations = {o.public_id: o for o in organisations}
        self.fields["organisation"].choices = [(o.public_id, o.name) for o in organisations]


class SignForm(forms.Form):
    typed_name = forms.CharField(max_length=200, label="Type your full name to sign")
    native_languages = forms.MultipleChoiceField(choices=LANGUAGE_CHOICES, label="Your native language(s)",
                                                 widget=forms.CheckboxSelectMultiple(attrs={"class": "checkbox-grid"}))
    agree = forms.BooleanField(label="I have read and agree to the Terms of Service, the Privacy Policy and the "
                                     "Acceptable Use Policy above.")
