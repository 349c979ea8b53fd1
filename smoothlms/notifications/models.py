"""Email templates (Django template syntax, validated when saved) and the reminder log."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

# Kept here under this name: migration 0001 refers to `smoothlms.notifications.models.validate_template_source`.
from smoothlms.notifications.rendering import validate_template_source

__all__ = ["CancellationNotice", "EmailTemplate", "ReminderDelivery", "validate_template_source"]

REMINDER_TEMPLATE_NAME = "Batch Reminder"


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


class ReminderDelivery(models.Model):
    """The reminder of one enrollment: claimed (claimed_until) before it is sent so that two workers
    never both send it; sent_at once the SMTP server accepted it (also copied to the enrollment's
    reminder_sent_at)."""

    enrollment = models.OneToOneField(
        "enrollment.BatchEnrollment", on_delete=models.CASCADE, related_name="reminder_delivery"
    )
    claimed_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "cohort reminder"
        constraints = [
            models.CheckConstraint(
                condition=Q(sent_at__isnull=True) | Q(error=""), name="reminderdelivery_sent_no_error"
            ),
        ]

    def __str__(self) -> str:
        return f"reminder of {self.enrollment_id}"


class CancellationNotice(models.Model):
    """The outbox of one cancellation email: written in the transaction that cancelled the
    enrollment (one row per cancellation: enrollment and cancelled_at), claimed with a lease before
    sending, like the confirmations."""

    class Status(models.TextChoices):
        PENDING = "pending"
        SENT = "sent"
        FAILED = "failed"
        SKIPPED = "skipped"

    enrollment = models.ForeignKey(
        "enrollment.BatchEnrollment", on_delete=models.CASCADE, related_name="cancellation_notices"
    )
    cancelled_at = models.DateTimeField()
    reason = models.CharField(max_length=255, blank=True)
    had_seat = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "cancellation email"
        constraints = [
            models.UniqueConstraint(fields=["enrollment", "cancelled_at"], name="cancellationnotice_once"),
        ]
        indexes = [models.Index(fields=["status", "next_attempt"], name="cancellationnotice_due")]

    def __str__(self) -> str:
        return f"cancellation of {self.enrollment_id} at {self.cancelled_at:%Y-%m-%d %H:%M}"
