"""Reads on the HR integration."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from smoothlms.hr.errors import EmployeeNotFound
from smoothlms.hr.models import HRSyncRun, OnboardingApplication
from smoothlms.people.models import Employee


def get_employee(*, employee: str) -> Employee:
    """The employee with HR id `employee` (and its user), or EmployeeNotFound."""
    found = Employee.objects.select_related("user").filter(employee=(employee or "").strip()).first()
    if found is None:
        raise EmployeeNotFound(employee=(employee or "").strip() or "(blank)")
    return found


def list_employees() -> QuerySet[Employee]:
    return Employee.objects.select_related("user")


@dataclass(frozen=True)
class HRSyncStatus:
    configured: bool  # HRMS_URL is set
    last_run: HRSyncRun | None
    last_success: HRSyncRun | None
    consecutive_failures: int
    pending_onboarding: int

    @property
    def failing(self) -> bool:
        return self.consecutive_failures > 0

    @property
    def last_synced_at(self) -> dt.datetime | None:
        return self.last_success.finished_at if self.last_success else None

    @property
    def message(self) -> str:
        """One line for the dashboard."""
        if not self.configured:
            return "HR sync is not configured (HRMS_URL is not set)."
        if self.last_run is None:
            return "HR sync has not run yet."
        if self.failing:
            since = "never" if self.last_success is None else _when(self.last_success.finished_at)
            error = (self.last_run.error or "").splitlines()[0] if self.last_run.error else "unknown error"
            return (
                f"HR sync failing ({self.consecutive_failures} run(s) in a row): {error}. "
                f"Last success: {since}. New hires wait for the HRMS; the LMS keeps serving."
            )
        if self.last_run.status == HRSyncRun.Status.RUNNING:
            return f"HR sync running since {_when(self.last_run.started_at)}."
        return (
            f"HR sync OK: {_when(self.last_run.finished_at)}, {self.last_run.fetched} fetched, "
            f"{self.last_run.changed} changed."
        )


def _when(moment: dt.datetime | None) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else "never"


def get_hr_sync_status() -> HRSyncStatus:
    """The state of the HRMS sync for the dashboard (/desk/learning): the last run, the last
    successful one, how many runs in a row failed, and onboarding applications still pending.
    Two queries (three when none of the last 20 runs succeeded)."""
    runs = list(HRSyncRun.objects.order_by("-started_at", "-pk")[:20])
    finished = [run for run in runs if run.status != HRSyncRun.Status.RUNNING]
    failures = 0
    for run in finished:
        if run.status != HRSyncRun.Status.FAILED:
            break
        failures += 1
    last_success = next((run for run in finished if run.status == HRSyncRun.Status.SUCCEEDED), None)
    if last_success is None and len(runs) == 20:
        last_success = HRSyncRun.objects.filter(status=HRSyncRun.Status.SUCCEEDED).order_by("-started_at").first()
    return HRSyncStatus(
        configured=bool(settings.HRMS_URL),
        last_run=runs[0] if runs else None,
        last_success=last_success,
        consecutive_failures=failures,
        pending_onboarding=OnboardingApplication.objects.filter(status=OnboardingApplication.Status.PENDING).count(),
    )
