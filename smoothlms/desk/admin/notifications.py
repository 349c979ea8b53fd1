"""Desk pages of notifications: the email templates."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.html import format_html, format_html_join

from smoothlms.desk.admin.base import DeskAdmin
from smoothlms.notifications.models import REMINDER_TEMPLATE_NAME, EmailTemplate
from smoothlms.notifications.rendering import VARIABLES


def variables_help_html() -> str:
    """The documented variables as a list (admin renders help text as HTML; values are escaped here)."""
    items = format_html_join("", "<li><code>{{{{ {} }}}}</code>: {}</li>", ((v.name, v.help) for v in VARIABLES))
    return format_html(
        "Django template syntax. Variables:<ul>{}</ul>Loop over lists with "
        "<code>{{% for course in courses %}}...{{% endfor %}}</code>. Times are already written in the cohort's "
        "time zone. Saving renders the template with sample values: unknown variables, tags or filters are refused.",
        items,
    )


class EmailTemplateForm(forms.ModelForm):
    """The model's validators render each part with sample values when the form is saved: syntax
    errors, unknown tags, filters or variables are refused here, not at send time."""

    class Meta:
        model = EmailTemplate
        fields = ["name", "subject", "body_text", "body_html"]
        help_texts = {
            "name": f'Pick this template in LMS Settings or on a cohort. The template named "{REMINDER_TEMPLATE_NAME}" '
            "is the reminder sent the day before a cohort starts (rename it to stop reminders).",
            "subject": "One line; the variables of the plain-text body below.",
            "body_text": variables_help_html(),
            "body_html": "Optional HTML version; the same variables (their values are HTML-escaped).",
        }
        widgets = {"body_text": forms.Textarea(attrs={"rows": 18}), "body_html": forms.Textarea(attrs={"rows": 12})}


@admin.register(EmailTemplate)
class EmailTemplateAdmin(DeskAdmin):
    form = EmailTemplateForm
    list_display = ["name", "subject", "updated_at"]
    search_fields = ["name", "subject"]
