"""Self-paced training: assignments with due dates and certificates (quiz submissions: assessments)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone


class AssignmentStatus(models.TextChoices):
    ASSIGNED = "assigned"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class TrainingAssignment(models.Model):
    """A mandatory course for one user with a due date (a date: due dates are date-only)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="training_assignments")
    course = models.ForeignKey("catalog.Course", on_delete=models.PROTECT, related_name="training_assignments")
    due_date = models.DateField()
    status = models.CharField(max_length=16, choices=AssignmentStatus.choices, default=AssignmentStatus.ASSIGNED)
    assigned_by_rule = models.CharField(
        max_length=140, blank=True, help_text="The onboarding rule or command that assigned it."
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_date", "id"]
        verbose_name = "LMS training assignment"
        constraints = [
            # One assignment of a course per due date: recertification adds a row with a new date.
            models.UniqueConstraint(fields=["user", "course", "due_date"], name="training_assignment_one_per_due_date"),
            models.CheckConstraint(
                condition=Q(status__in=AssignmentStatus.values), name="training_assignment_status_valid"
            ),
        ]
        indexes = [models.Index(fields=["status", "due_date"])]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.course_id} by {self.due_date}"

    @property
    def is_overdue(self) -> bool:
        return self.status == AssignmentStatus.ASSIGNED and self.due_date < timezone.localdate()


class Certificate(models.Model):
    name = models.CharField(max_length=64, unique=True, help_text="Certificate number.")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="certificates")
    course = models.ForeignKey("catalog.Course", on_delete=models.PROTECT, related_name="certificates")
    batch = models.ForeignKey("catalog.Batch", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    issue_date = models.DateField()
    expiry_date = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-issue_date", "id"]
        verbose_name = "LMS certificate"
        constraints = [
            models.CheckConstraint(
                condition=Q(expiry_date__isnull=True) | Q(expiry_date__gte=F("issue_date")),
                name="certificate_expiry_after_issue",
            ),
        ]

    def __str__(self) -> str:
        return self.name
