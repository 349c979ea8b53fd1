"""The service: `provision_employees` (rules in the package docstring), plus the one-record form
and the disable threshold."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence

from django.conf import settings
from django.utils import timezone

from smoothlms.core.db import chunked
from smoothlms.core.models import EnrollmentEvent, EventType
from smoothlms.core.tasks import after_commit
from smoothlms.hr.errors import ConcurrentChange, TooManyDisables, TooManyDisablesPerHour
from smoothlms.hr.onboarding import apply_onboarding_rules
from smoothlms.hr.records import EmployeeRecord
from smoothlms.hr.services.plan import Plan, plan_records
from smoothlms.hr.services.report import DISABLE, ProvisionReport, RowOutcome
from smoothlms.hr.services.write import write_chunk
from smoothlms.people.models import Employee, User
from smoothlms.people.roles import can_manage_users

WRITE_CHUNK = 2000
DEFAULT_DISABLE_THRESHOLD = 0.2
DEFAULT_HOURLY_MINIMUM = 10  # webhook and sync runs may disable this many users an hour whatever the share
HOURLY_SOURCES = ("webhook", "hrms_sync")


def provision_employees(
    *,
    records: Sequence[EmployeeRecord],
    actor: User | None,
    source: str,
    dry_run: bool = False,
    disable_threshold: float | None = None,
    onboard: bool = True,
    invite: bool = True,
    chunk_size: int = WRITE_CHUNK,
    progress: Callable[[int, int], None] | None = None,
    errors: Iterable[RowOutcome] = (),
) -> ProvisionReport:
    """Make the LMS match `records` (rules in the module docstring). Each record gets one outcome:
    create, update, rehire, disable, unchanged or error (with the code and message of the refusal),
    in the order given; `errors` (rows that could not be parsed) join the report in row order.

    `dry_run` plans and writes nothing. `disable_threshold` (a fraction, e.g. 0.2) refuses the
    whole run with TooManyDisables when more than that share of the currently enabled
    employee-linked users would be disabled (a dry run reports it in `refused` instead). Rows are
    written `chunk_size` at a time, one transaction per chunk (works inside a caller's transaction
    too: the desk saves inside one).
    `progress(done_in_chunk, total)` follows the writing.
    Side effects: users (LMS Student role), employee records, enabled flags, audit events,
    set-password emails after commit (unless `invite` is off), then the onboarding rules for the
    employees written (unless `onboard` is off)."""
    today = timezone.localdate()
    plans = plan_records(records, today=today, trusted=actor is not None and can_manage_users(actor))
    report = ProvisionReport(rows=[], dry_run=dry_run)
    report.rows = sorted(
        [p.outcome for p in plans] + list(errors), key=lambda outcome: (outcome.row is None, outcome.row or 0)
    )
    if disable_threshold is not None:
        try:
            _check_threshold(plans, disable_threshold, source=source)
        except TooManyDisables as error:
            if not dry_run:
                raise
            report.refused = error
    if dry_run:
        return report
    to_write = [p for p in plans if p.writes]
    # Records that free a user first, so the one-active-employee-per-user index never sees two.
    to_write.sort(key=lambda p: not p.releases)
    now = timezone.now()
    for chunk in chunked(to_write, chunk_size):
        write_chunk(chunk, actor=actor, source=source, now=now, invite=invite)
        if progress:
            progress(len(chunk), len(to_write))
    if onboard:
        written = [p.values["pk"] for p in to_write if p.writes and p.outcome.action != DISABLE]
        if written:

            def run() -> None:
                report.onboarded = apply_onboarding_rules(employee_ids=written).applied

            # After the caller's transaction, if there is one: enrolling opens its own durable transactions.
            # A failure is logged: the periodic HR job applies the rules to every joiner again.
            after_commit(run, what="apply the onboarding rules")
    return report


def provision_employee(
    *,
    record: EmployeeRecord,
    actor: User | None,
    source: str,
    onboard: bool = True,
    disable_threshold: float | None = None,
) -> tuple[Employee, str]:
    """One record through `provision_employees`: the employee (with its user) and the action taken.
    Raises the row's DomainError when it is refused. `disable_threshold` counts the disables of
    the last hour from the same source (a webhook delivers one record at a time)."""
    kwargs = {"actor": actor, "source": source, "onboard": onboard, "disable_threshold": disable_threshold}
    report = provision_employees(records=[record], **kwargs)
    if isinstance(report.rows[0].error, ConcurrentChange):
        # Another request wrote the same employee or user meanwhile (a webhook delivered twice):
        # planned again on what is committed now, the record is an update or unchanged.
        report = provision_employees(records=[record], **kwargs)
    outcome = report.rows[0]
    if outcome.error is not None:
        raise outcome.error
    return Employee.objects.select_related("user").get(employee=record.employee), outcome.action


def count_enabled_employee_users() -> int:
    return User.objects.filter(enabled=True, employees__isnull=False).distinct().count()


def _check_threshold(plans: list[Plan], threshold: float, *, source: str) -> None:
    disables = sum(1 for p in plans if p.disable)
    if not disables:
        return
    total = count_enabled_employee_users()
    if source in HOURLY_SOURCES:
        _check_hourly(disables, total, threshold, source=source)
    elif total and disables / total > threshold:
        raise TooManyDisables(count=disables, total=total, percent=round(threshold * 100))


def _check_hourly(disables: int, total: int, threshold: float, *, source: str) -> None:
    """Webhook and sync runs bring a few records at a time: their disables of the last hour add up,
    and the run is refused past the share of the enabled employee users (never below a floor, so a
    small company's ordinary leavers go through)."""
    since = timezone.now() - dt.timedelta(hours=1)
    recent = EnrollmentEvent.objects.filter(kind=EventType.USER_DISABLED, source=source, created_at__gte=since).count()
    count = recent + disables
    floor = int(getattr(settings, "HR_DISABLE_HOURLY_MINIMUM", DEFAULT_HOURLY_MINIMUM))
    if count > max(floor, threshold * total):
        raise TooManyDisablesPerHour(source=source, count=count, total=total, percent=round(threshold * 100))


def disable_threshold_setting() -> float:
    return float(getattr(settings, "HR_DISABLE_THRESHOLD", DEFAULT_DISABLE_THRESHOLD))
