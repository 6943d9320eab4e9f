"""Credit forms: staff add credits and quote a professional voice."""
from __future__ import annotations

from django import forms

from voicemanager.models import CreditQuote


class AddCreditsForm(forms.Form):
    amount = forms.IntegerField(min_value=1, max_value=10_000_000)
    reason = forms.CharField(max_length=200, help_text="e.g. invoice or order number.")


class QuoteForm(forms.Form):
    voice = forms.ChoiceField(label="Professional voice")
    amount = forms.IntegerField(min_value=1, max_value=10_000_000, label="Credits")
    data_minutes = forms.IntegerField(min_value=0, required=False, label="Minutes of audio")
    service_level = forms.ChoiceField(choices=CreditQuote.ServiceLevel.choices)
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, voices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.voices = {v.public_id: v for v in voices}
        self.fields["voice"].choices = [(v.public_id, f"{v.alias} ({v.get_language_display() or '—'})")
                                        for v in voices]
