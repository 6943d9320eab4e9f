"""Script forms: paste or upload, then preview before saving; staff create a script for a client."""
from __future__ import annotations

from django import forms

from voicemanager.core.languages import LANGUAGE_CHOICES
from voicemanager.scripts.importing import (
    SPLIT_BLANK_LINES,
    SPLIT_CHOICES,
    ParsedScript,
    ParsedSection,
    ScriptImportError,
    parse_upload,
    split_text,
)

MAX_UPLOAD_BYTES = 5 * 1024 * 1024


class ScriptImportForm(forms.Form):
    """Step 1: where the text comes from. ``parsed()`` gives the sections to preview."""

    organisation = forms.ChoiceField(label="Organisation")
    title = forms.CharField(max_length=300, required=False,
                            help_text="Taken from a JSON file's title when left empty.")
    language = forms.ChoiceField(choices=LANGUAGE_CHOICES, initial="en")
    split = forms.ChoiceField(choices=SPLIT_CHOICES, initial=SPLIT_BLANK_LINES, widget=forms.RadioSelect,
                              label="Plain text is split into")
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 12}), required=False, label="Paste the script",
                           strip=False)
    file = forms.FileField(required=False, label="…or upload a .txt, .csv (one row per section, optional id column) "
                                                 "or .json file")

    def __init__(self, *args, organisations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.organisations = {org.public_id: org for org in organisations}
        self.fields["organisation"].choices = [(o.public_id, o.name) for o in organisations]
        if len(self.organisations) == 1:
            self.fields["organisation"].widget = forms.HiddenInput()
            self.fields["organisation"].initial = next(iter(self.organisations))

    def clean(self):
        data = super().clean()
        upload = data.get("file")
        text = data.get("text") or ""
        try:
            if upload:
                if upload.size > MAX_UPLOAD_BYTES:
                    raise ScriptImportError("The file is larger than 5 MB.")
                parsed = parse_upload(upload.name, upload.read(), data.get("split") or SPLIT_BLANK_LINES)
            elif text.strip():
                parsed = ParsedScript([ParsedSection(t) for t in split_text(text, data.get("split")
                                                                          or SPLIT_BLANK_LINES)])
            else:
                raise ScriptImportError("Paste the script or choose a file.")
        except ScriptImportError as exc:
            raise forms.ValidationError(str(exc)) from exc
        if not data.get("title") and not parsed.title:
            self.add_error("title", "Give the script a title.")
        if parsed.language and parsed.language in dict(LANGUAGE_CHOICES):
            data["language"] = parsed.language
        data["title"] = data.get("title") or parsed.title
        if not parsed.sections:
            raise forms.ValidationError("No sections found in that text.")
        self.parsed = parsed
        return data

    def organisation_obj(self):
        return self.organisations[self.cleaned_data["organisation"]]


class ScriptDetailsForm(forms.Form):
    title = forms.CharField(max_length=300)
    language = forms.ChoiceField(choices=LANGUAGE_CHOICES)


class StaffScriptForm(forms.Form):
    title = forms.CharField(max_length=300)
    language = forms.ChoiceField(choices=LANGUAGE_CHOICES, initial="en")
    split = forms.ChoiceField(choices=SPLIT_CHOICES, initial=SPLIT_BLANK_LINES, label="Sections")
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 14}), label="Text the client sent",
                           strip=False)
