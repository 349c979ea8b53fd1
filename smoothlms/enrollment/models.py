"""Enrollments: a seat in a cohort (BatchEnrollment), course access (CourseEnrollment), payments."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class EnrollmentStatus(models.TextChoices):
    ACTIVE = "active"
    CANCELLED = "cancelled"
    WAITLISTED = "waitlisted"


class Source(models.TextChoices):
    DESK = "desk"
    PORTAL = "portal"
    API = "api"
    IMPORT = "import"
    HR_RULE = "hr_rule"


class MemberType(models.TextChoices):
    EMPLOYEE = "Employee"
    EXTERNAL = "External"


class EmailStatus(models.TextChoices):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"


class PaymentStatus(models.TextChoices):
    PENDING = "pending"
    RECEIVED = "received"
    REFUNDED = "refunded"


class Payment(models.Model):
    """A payment for a paid cohort: recorded in the desk now, by a payment gateway later."""

    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payments")
    batch = models.ForeignKey("catalog.Batch", on_delete=models.PROTECT, related_name="payments")
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=16, choices=PaymentStatus.choices, default=PaymentStatus.RECEIVED)
    reference = models.CharField(max_length=140, blank=True)
    received_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "LMS payment"
        constraints = [
            models.CheckConstraint(condition=Q(status__in=PaymentStatus.values), name="payment_status_valid"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.member} {self.batch.name} {self.amount} {self.currency} ({self.status})"


class BatchEnrollment(models.Model):
    """One row per (batch, member) for ever: cancelling and enrolling again change its status.

    The row is also the outbox of its confirmation email (confirmation_email_status)."""

    batch = models.ForeignKey("catalog.Batch", on_delete=models.PROTECT, related_name="enrollments")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="batch_enrollments")
    member_type = models.CharField(max_length=16, choices=MemberType.choices, default=MemberType.EXTERNAL)
    status = models.CharField(max_length=16, choices=EnrollmentStatus.choices, default=EnrollmentStatus.ACTIVE)
    source = models.CharField(max_length=16, choices=Source.choices)
    payment = models.ForeignKey(Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    override_reason = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    confirmation_email_status = models.CharField(max_length=16, choices=EmailStatus.choices,
                                                 default=EmailStatus.PENDING)
    confirmation_email_sent = models.BooleanField(
        default=False, help_text="True only once the SMTP server accepted the message.")
    confirmation_email_sent_at = models.DateTimeField(null=True, blank=True)
    confirmation_email_attempts = models.PositiveSmallIntegerField(default=0)
    confirmation_email_next_attempt = models.DateTimeField(null=True, blank=True)
    confirmation_email_error = models.TextField(blank=True)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "LMS batch enrollment"
        constraints = [
            # Unconditional on purpose: MariaDB has no partial indexes.
            models.UniqueConstraint(fields=["batch", "member"], name="batch_enrollment_one_per_member"),
            models.CheckConstraint(condition=Q(status__in=EnrollmentStatus.values),
                                   name="batch_enrollment_status_valid"),
            models.CheckConstraint(condition=Q(source__in=Source.values), name="batch_enrollment_source_valid"),
            models.CheckConstraint(condition=Q(member_type__in=MemberType.values),
                                   name="batch_enrollment_member_type_valid"),
            models.CheckConstraint(condition=Q(confirmation_email_status__in=EmailStatus.values),
                                   name="batch_enrollment_email_status_valid"),
            models.CheckConstraint(
                condition=Q(confirmation_email_sent=False) | Q(confirmation_email_status=EmailStatus.SENT),
                name="batch_enrollment_sent_means_sent",
            ),
        ]
        indexes = [
            models.Index(fields=["batch", "status"]),
            models.Index(fields=["confirmation_email_status", "confirmation_email_next_attempt"]),
            models.Index(fields=["created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} in {self.batch_id} ({self.status})"

    @property
    def name(self) -> str:
        return f"BE-{self.pk:06d}" if self.pk else ""


class CourseEnrollment(models.Model):
    """"LMS Enrollment": a member's access to one course. One per (member, course)."""

    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="course_enrollments")
    course = models.ForeignKey("catalog.Course", on_delete=models.PROTECT, related_name="enrollments")
    enrollment_from_batch = models.ForeignKey("catalog.Batch", null=True, blank=True, on_delete=models.SET_NULL,
                                              related_name="course_enrollments")
    progress = models.DecimalField(max_digits=5, decimal_places=2, default=0)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    completed_at = models.DateTimeField(null=True, blank=True, help_text="When progress reached 100%.")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "LMS enrollment"
        constraints = [
            models.UniqueConstraint(fields=["member", "course"], name="course_enrollment_one_per_member"),
            models.CheckConstraint(condition=Q(progress__gte=0) & Q(progress__lte=100),
                                   name="course_enrollment_progress_range"),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} in {self.course_id}"
