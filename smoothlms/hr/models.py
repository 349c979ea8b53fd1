"""HR integration state: sync runs against the HRMS."""

from __future__ import annotations

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
