"""Learning: each member's progress through each lesson, with a SCORM lesson's runtime data."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class LessonStatus(models.TextChoices):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"


class LessonProgress(models.Model):
    """One row per (member, lesson), made when the member first opens the lesson. `course` is the
    lesson's course, kept here so that a course's progress is counted without joining the outline."""

    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="lesson_progress")
    lesson = models.ForeignKey("catalog.Lesson", on_delete=models.PROTECT, related_name="progress")
    course = models.ForeignKey("catalog.Course", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=16, choices=LessonStatus.choices, default=LessonStatus.IN_PROGRESS)
    started_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)
    # SCORM: the last committed CMI values, flattened ("cmi.suspend_data": "..."), restored on launch.
    scorm_data = models.JSONField(default=dict, blank=True)
    score = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["member", "lesson"]
        verbose_name = "lesson progress"
        verbose_name_plural = "lesson progress"
        constraints = [
            models.UniqueConstraint(fields=["member", "lesson"], name="lessonprogress_one_per_member"),
            models.CheckConstraint(condition=Q(status__in=LessonStatus.values), name="lessonprogress_status_valid"),
            models.CheckConstraint(
                condition=~Q(status=LessonStatus.COMPLETED) | Q(completed_at__isnull=False),
                name="lessonprogress_completed_has_time",
            ),
        ]
        indexes = [models.Index(fields=["member", "course", "status"])]

    def __str__(self) -> str:
        return f"{self.member_id} on {self.lesson_id}: {self.status}"
