"""Email templates (Django template syntax), validated when saved."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.template import Context, Template, TemplateSyntaxError
from django.utils import timezone


def validate_template_source(source: str) -> None:
    try:
        Template(source).render(Context({}))
    except TemplateSyntaxError as exc:
        raise ValidationError(f"Template error: {exc}", code="template_syntax") from exc


class EmailTemplate(models.Model):
    name = models.CharField(max_length=140, unique=True)
    subject = models.CharField(max_length=255, validators=[validate_template_source])
    body_text = models.TextField(validators=[validate_template_source])
    body_html = models.TextField(blank=True, validators=[validate_template_source])
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "email template"

    def __str__(self) -> str:
        return self.name
