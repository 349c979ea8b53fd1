"""Self-paced training: assignments with due dates and certificates (quiz submissions: assessments)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

# `assigned_by_rule` of the assignments that recertification opens.
RECERTIFICATION_RULE = "recertification"
# Unique constraints that raw SQL names (their indexes carry the same names).
ASSIGNMENT_ONE_PER_DUE_DATE = "training_assignment_one_per_due_date"
CERTIFICATE_ONE_PER_CYCLE = "certificate_one_per_cycle"


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
    renews = models.ForeignKey(
        "training.Certificate",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="renewals",
        help_text="The expiring certificate it recertifies.",
    )
    notified_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="When the learner was emailed about it (recertification)."
    )
    last_reminded_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="Last overdue reminder (at most one a week)."
    )

    class Meta:
        ordering = ["due_date", "id"]
        verbose_name = "LMS training assignment"
        constraints = [
            # One assignment of a course per due date: recertification adds a row with a new date.
            models.UniqueConstraint(fields=["user", "course", "due_date"], name=ASSIGNMENT_ONE_PER_DUE_DATE),
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
    """Evidence that `member` completed a course (or a whole cohort): never edited once issued.

    `subject` ("course:<id>" or "batch:<id>") and `cycle` number the certificates of one member for
    one course or cohort: a new cycle starts when the last certificate expired or a new training
    assignment was opened after it (recertification). One certificate per cycle is a constraint, so
    completing twice, or two workers at once, cannot issue two."""

    name = models.CharField(max_length=64, unique=True, help_text="Certificate number.")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="certificates")
    course = models.ForeignKey(
        "catalog.Course",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="certificates",
        help_text="Blank for a cohort certificate.",
    )
    batch = models.ForeignKey("catalog.Batch", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    issue_date = models.DateField()
    expiry_date = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    subject = models.CharField(max_length=32, default="", editable=False)
    cycle = models.PositiveIntegerField(default=1, editable=False)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    pdf = models.FileField(upload_to="certificates/%Y/%m/", blank=True, editable=False)
    pdf_rendered_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-issue_date", "id"]
        verbose_name = "LMS certificate"
        constraints = [
            models.CheckConstraint(
                condition=Q(expiry_date__isnull=True) | Q(expiry_date__gte=F("issue_date")),
                name="certificate_expiry_after_issue",
            ),
            models.CheckConstraint(
                condition=Q(course__isnull=False) | Q(batch__isnull=False), name="certificate_of_course_or_batch"
            ),
            models.UniqueConstraint(fields=["member", "subject", "cycle"], name=CERTIFICATE_ONE_PER_CYCLE),
        ]
        indexes = [models.Index(fields=["expiry_date"], name="certificate_expiry_date_idx")]

    def __str__(self) -> str:
        return self.name

    def is_valid_on(self, day) -> bool:
        """Valid up to and including its expiry date."""
        return self.expiry_date is None or self.expiry_date >= day


class ManagerDigest(models.Model):
    """One weekly digest per manager (by HR id): the row is claimed before the email goes out, so
    a second run in the same week sends nothing."""

    manager = models.CharField("manager's HR id", max_length=140)
    week = models.DateField(help_text="The Monday of the week.")
    items = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-week", "manager"]
        verbose_name = "manager digest"
        constraints = [models.UniqueConstraint(fields=["manager", "week"], name="managerdigest_one_per_week")]

    def __str__(self) -> str:
        return f"{self.manager} {self.week}"
