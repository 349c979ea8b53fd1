"""The audit trail (EnrollmentEvent rows, written in the same transaction as the change) and the
lease rows of the periodic jobs."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class EventType(models.TextChoices):
    # Stable codes: add new ones, never rename old ones.
    ENROLLED = "enrolled"
    REACTIVATED = "reactivated"
    CANCELLED = "cancelled"
    OVERRIDE = "override"
    SEATS_CHANGED = "seats_changed"
    EMAIL_SENT = "email_sent"
    EMAIL_FAILED = "email_failed"
    USER_CREATED = "user_created"
    USER_ENABLED = "user_enabled"
    USER_DISABLED = "user_disabled"
    ROLES_CHANGED = "roles_changed"
    LOGIN = "login"
    LOGIN_FAILED = "login_failed"
    EMPLOYEE_CHANGED = "employee_changed"
    TRAINING_ASSIGNED = "training_assigned"
    PAYMENT_RECORDED = "payment_recorded"
    USER_PURGED = "user_purged"
    EMAIL_RESEND_REQUESTED = "email_resend_requested"
    COURSE_COMPLETED = "course_completed"
    API_KEY_ISSUED = "api_key_issued"
    TRAINING_REMINDED = "training_reminded"
    TRAINING_DUE_DATE_CHANGED = "training_due_date_changed"
    WAITLISTED = "waitlisted"
    PROMOTED = "promoted"
    TRANSFERRED = "transferred"
    REPLACED = "replaced"
    QUIZ_SUBMITTED = "quiz_submitted"
    ASSIGNMENT_SUBMITTED = "assignment_submitted"
    ASSIGNMENT_GRADED = "assignment_graded"
    CERTIFICATE_ISSUED = "certificate_issued"


class EnrollmentEvent(models.Model):
    """Append-only: who did what, when, to whom, from where and why, with before/after values."""

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    kind = models.CharField(max_length=32, choices=EventType.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_email = models.CharField(max_length=254, blank=True)
    batch = models.ForeignKey("catalog.Batch", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    enrollment = models.ForeignKey(
        "enrollment.BatchEnrollment", null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    source = models.CharField(max_length=16, blank=True)
    reason = models.TextField(blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    remote_addr = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "audit event"
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=EventType.values), name="enrollmentevent_kind_valid"),
        ]
        indexes = [models.Index(fields=["batch", "created_at"]), models.Index(fields=["member", "created_at"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.kind}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.pop("allow_update", False):
            raise ValueError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Audit events are append-only.")


class PeriodicJob(models.Model):
    """One row per periodic job (core.scheduling). A worker enqueues the job for a period only if it
    moves `last_period` forward with a conditional UPDATE, so with any number of workers on any
    number of machines exactly one enqueues it per period."""

    name = models.CharField(max_length=64, unique=True)
    last_period = models.BigIntegerField(default=0, help_text="Number of the last period enqueued.")
    last_enqueued_at = models.DateTimeField(null=True, blank=True)
    last_worker = models.CharField(max_length=128, blank=True)

    class Meta:
        # The table keeps the name it had in notifications: the model moved without copying a row.
        db_table = "notifications_periodicjob"
        ordering = ["name"]
        verbose_name = "periodic job"

    def __str__(self) -> str:
        return self.name
