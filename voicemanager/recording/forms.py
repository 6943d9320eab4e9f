"""Recording forms: assign a task, change its due date, filter the Tasks tab; the contractor's account form."""
from __future__ import annotations

from django import forms

from voicemanager.accounts.forms import NewAccountForm
from voicemanager.core.languages import LANGUAGE_CHOICES
from voicemanager.models import RecordingTask
from voicemanager.recording.assignments import default_file_path, validate_due_date, validate_file_path


class AssignTaskForm(forms.Form):
    script = forms.ChoiceField(help_text="The organisation's current scripts.")
    organisation = forms.ChoiceField(label="Save recordings to organisation")
    contractor_email = forms.EmailField(label="Contractor's email")
    file_path = forms.CharField(
        max_length=300, required=False, label="Folder in the file manager",
        help_text="Leave empty for recordings/script-title/contractor-name. No '..', no leading '/'.",
    )
    due_date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                               help_text="Optional.")
    screening_sections = forms.IntegerField(
        required=False, min_value=1, max_value=1000, label="Check the setup after this many sections",
        help_text="Optional. Recording pauses after these first sections until you approve the talent's microphone, "
                  "room and level on the task page (you can also turn this on there later).")
    # Shown (as a checkbox) only when the script's language is not the contractor's native language.
    accept_language_warning = forms.BooleanField(
        required=False, widget=forms.HiddenInput,
        label="I understand the clone may carry an accent and mispronunciations: assign anyway")

    def __init__(self, *args, organisations=(), scripts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.organisations = {o.public_id: o for o in organisations}
        self.scripts = {s.public_id: s for s in scripts}
        self.fields["organisation"].choices = [(o.public_id, o.name) for o in organisations]
        self.fields["script"].choices = [("", "Choose a script…")] + [
            (s.public_id, f"{s.title} (v{s.version}, {s.organisation.name})") for s in scripts]
        for name in ("script", "contractor_email"):
            self.fields[name].widget.attrs["hx-get"] = "/vm/tasks/invite/path"
            self.fields[name].widget.attrs["hx-target"] = "#path-suggestion"
            self.fields[name].widget.attrs["hx-include"] = "[name=script],[name=contractor_email]"
            self.fields[name].widget.attrs["hx-trigger"] = "change"

    def clean_due_date(self):
        return validate_due_date(self.cleaned_data.get("due_date"))

    def clean(self):
        data = super().clean()
        data["script_obj"] = self.scripts.get(data.get("script", ""))
        data["organisation_obj"] = self.organisations.get(data.get("organisation", ""))
        if data.get("script") and data["script_obj"] is None:
            self.add_error("script", "Choose one of your organisation's scripts.")
        path = data.get("file_path") or ""
        if not path.strip() and data["script_obj"] and data.get("contractor_email"):
            path = default_file_path(data["script_obj"], data["contractor_email"])
        if "file_path" not in self.errors and (path.strip() or data["script_obj"]):
            try:
                data["file_path"] = validate_file_path(path)
            except forms.ValidationError as exc:
                self.add_error("file_path", exc)
        return data


class DueDateForm(forms.Form):
    due_date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                               help_text="Empty removes the due date.")

    def clean_due_date(self):
        return validate_due_date(self.cleaned_data.get("due_date"))


SORTS = {
    "due": ("due_date", "-created_at"), "-due": ("-due_date", "-created_at"),
    "created": ("created_at",), "-created": ("-created_at",),
    "activity": ("last_activity_at",), "-activity": ("-last_activity_at",),
    "status": ("status", "-created_at"), "contractor": ("contractor_email", "-created_at"),
    "script": ("script__title", "-created_at"),
}


class TaskFilterForm(forms.Form):
    status = forms.ChoiceField(required=False, choices=[("", "Any status")] + list(RecordingTask.Status.choices))
    due = forms.ChoiceField(required=False, label="Due",
                            choices=[("", "Any due date"), ("overdue", "Overdue"), ("soon", "Due within 48 h")])
    contractor = forms.CharField(required=False, max_length=200, label="Contractor",
                                 widget=forms.TextInput(attrs={"placeholder": "email or name"}))
    script = forms.ChoiceField(required=False)
    sort = forms.ChoiceField(required=False, choices=[
        ("-created", "Newest first"), ("created", "Oldest first"), ("due", "Due date"), ("-due", "Due date (latest)"),
        ("-activity", "Recent activity"), ("status", "Status"), ("contractor", "Contractor"), ("script", "Script"),
    ])

    def __init__(self, *args, scripts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["script"].choices = [("", "Any script")] + [(s.public_id, f"{s.title} v{s.version}")
                                                                for s in scripts]

    def apply(self, queryset):
        """Filter and order; invalid values are ignored (a bookmarked URL never errors)."""
        data = self.cleaned_data if self.is_valid() else {}
        if data.get("status"):
            queryset = queryset.filter(status=data["status"])
        if data.get("due") == "overdue":
            queryset = queryset.overdue()
        elif data.get("due") == "soon":
            queryset = queryset.due_soon()
        if data.get("contractor"):
            term = data["contractor"].strip()
            from django.db.models import Q

            queryset = queryset.filter(Q(contractor_email__icontains=term) | Q(speaker__full_name__icontains=term))
        if data.get("script"):
            queryset = queryset.filter(script__public_id=data["script"])
        return queryset.order_by(*SORTS.get(data.get("sort") or "-created", SORTS["-created"]), "pk")


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
