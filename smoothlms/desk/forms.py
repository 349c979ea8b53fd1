"""Forms of the desk's own pages. They parse input only: the rules are the engine's."""

from __future__ import annotations

import re

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteSelectMultiple

from smoothlms.catalog.models import Batch
from smoothlms.enrollment.models import BatchEnrollment
from smoothlms.people.models import User

EMAIL_SEPARATORS = re.compile(r"[\s,;]+")


def _batch_label(batch: Batch) -> str:
    return f"{batch.title} ({batch.name}) · starts {batch.start_date:%d %b %Y}"


class BatchChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Batch) -> str:
        return _batch_label(obj)


def _batches():
    return Batch.objects.only("pk", "name", "title", "start_date").order_by("-start_date", "title")


class OverrideFields(forms.Form):
    override_start = forms.BooleanField(
        required=False,
        label="Late join: override the start date",
        help_text="Needed only once the cohort has started. Moderators only; the reason is kept in the audit log.",
    )
    reason = forms.CharField(
        required=False,
        label="Reason for the late join",
        max_length=500,
        widget=forms.TextInput(attrs={"placeholder": "e.g. joined the team after the start"}),
    )
    notify = forms.BooleanField(required=False, initial=True, label="Send confirmation emails")


class EnrollMembersForm(OverrideFields):
    """The "Enroll members" dialog of a cohort: pasted emails and picked users, in that order."""

    emails = forms.CharField(
        required=False,
        label="Emails",
        widget=forms.Textarea(attrs={"rows": 6, "placeholder": "one per line, or separated by commas"}),
        help_text="One per line, or separated by commas or semicolons.",
    )
    users = forms.ModelMultipleChoiceField(
        queryset=User.objects.all(),
        required=False,
        label="Or pick users",
        widget=AutocompleteSelectMultiple(
            BatchEnrollment._meta.get_field("member"),
            admin.site,
            attrs={"data-placeholder": "Search by name or email", "style": "width:100%"},
        ),
    )
    field_order = ["emails", "users", "override_start", "reason", "notify"]

    def clean(self):
        cleaned = super().clean()
        members = [email for email in EMAIL_SEPARATORS.split(cleaned.get("emails") or "") if email]
        members += [user.email for user in cleaned.get("users") or []]
        if not members and not self.errors:
            raise forms.ValidationError("Paste at least one email or pick a user.")
        cleaned["members"] = members
        return cleaned


class EnrollmentAddForm(OverrideFields):
    """/app/lms-batch-enrollment/new: one Member into one Batch."""

    member = forms.CharField(
        label="Member",
        max_length=254,
        help_text="The user's email.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": "name@company.com", "autofocus": True}),
    )
    batch = BatchChoiceField(queryset=_batches(), to_field_name="name", label="Batch", empty_label="Choose a cohort")
    field_order = ["member", "batch", "override_start", "reason", "notify"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["batch"].queryset = _batches()
        self.fields["notify"].label = "Send the confirmation email"


class ImportForm(OverrideFields):
    file = forms.FileField(
        label="CSV or Excel file",
        help_text="Columns: member (email), batch (name or title), optional reason. UTF-8 CSV "
        "(with or without BOM, comma or semicolon) or .xlsx.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,text/csv"}),
    )
    batch = BatchChoiceField(
        queryset=_batches(),
        to_field_name="name",
        required=False,
        label="Cohort for rows without one",
        empty_label="(use the file's batch column)",
    )
    field_order = ["file", "batch", "override_start", "reason", "notify"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["batch"].queryset = _batches()


class CancelForm(forms.Form):
    reason = forms.CharField(required=False, max_length=500, label="Reason (kept in the audit log)")
