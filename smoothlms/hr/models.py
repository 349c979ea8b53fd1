"""HR integration state: sync runs against the HRMS, onboarding rules and what they did."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class HRSyncRun(models.Model):
    """One pull from the HRMS; the last successful one's `modified_until` is where the next starts."""

    class Status(models.TextChoices):
        RUNNING = "running"
        SUCCEEDED = "succeeded"
        FAILED = "failed"

    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING)
    modified_since = models.DateTimeField(null=True, blank=True)
    modified_until = models.DateTimeField(null=True, blank=True)
    fetched = models.PositiveIntegerField(default=0)
    changed = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = "HR sync run"

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M} {self.status}"


class OnboardingRule(models.Model):
    """What a new hire gets without anyone typing a row: a seat in the next cohort of a programme and
    mandatory courses due N days after joining.

    A programme is a course: its cohorts are the published batches that teach it (a weekly "New Hire"
    cohort of the course "new-hire-onboarding", say). The rule picks the first one that starts on or
    after the joiner's date of joining and has not started yet, skipping full ones."""

    name = models.CharField(max_length=140, unique=True)
    enabled = models.BooleanField(default=True)
    department = models.CharField(max_length=140, blank=True, help_text="Blank: any department.")
    designation = models.CharField(max_length=140, blank=True, help_text="Blank: any designation.")
    employment_type = models.CharField(
        max_length=64, blank=True, help_text="Blank: any employment type (contractors and interns too)."
    )
    joined_on_or_after = models.DateField(
        default=timezone.localdate,
        help_text="New hires are employees who joined on or after this date; earlier staff are left alone.",
    )
    programme = models.ForeignKey(
        "catalog.Course",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="New hires join the next published cohort teaching this course that starts on or after "
        "their date of joining.",
    )
    mandatory_courses = models.ManyToManyField("catalog.Course", blank=True, related_name="+")
    due_in_days = models.PositiveIntegerField(
        default=30, help_text="Mandatory courses are due this many days after the date of joining."
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who last saved the rule: its enrollments follow that user's rights (seats, payment, "
        "self-enrollment). Without a moderator author, joiners are enrolled as if they enrolled "
        "themselves.",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "onboarding rule"

    def __str__(self) -> str:
        return self.name


class OnboardingApplication(models.Model):
    """What one rule did for one joiner (per date of joining, so a rehire is onboarded again). The row
    makes applying the rule again a no-op: done parts are never redone, even if a moderator later
    cancels the enrollment."""

    class Status(models.TextChoices):
        PENDING = "pending"  # something is left to do (no cohort yet, cohort full): retried by the sync
        DONE = "done"

    rule = models.ForeignKey(OnboardingRule, on_delete=models.CASCADE, related_name="applications")
    employee = models.ForeignKey("people.Employee", on_delete=models.CASCADE, related_name="onboarding")
    joined_on = models.DateField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    batch = models.ForeignKey("catalog.Batch", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    enrolled = models.BooleanField(default=False, help_text="The cohort part is done (or the rule has none).")
    trained = models.BooleanField(default=False, help_text="The mandatory courses are assigned.")
    detail = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "onboarding application"
        constraints = [
            models.UniqueConstraint(fields=["rule", "employee", "joined_on"], name="onboardingapplication_once"),
            models.CheckConstraint(
                condition=models.Q(status__in=["pending", "done"]), name="onboardingapplication_status_valid"
            ),
        ]
        indexes = [models.Index(fields=["status"])]

    def __str__(self) -> str:
        return f"{self.rule_id}/{self.employee_id} {self.status}"
