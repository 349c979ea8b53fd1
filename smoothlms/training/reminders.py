"""The compliance loop run by the worker: recertification before certificates expire, overdue
reminders (at most one a week per assignment) and the managers' weekly digest of their direct
reports. Each is safe to run again at any time: what was done is recorded before it is announced."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from smoothlms.catalog.models import LMSSettings
from smoothlms.core.audit import record_event
from smoothlms.core.db import chunked
from smoothlms.core.models import EventType
from smoothlms.people.models import Employee, EmployeeStatus, User
from smoothlms.training.dates import human_date
from smoothlms.training.models import (
    ASSIGNMENT_ONE_PER_DUE_DATE,
    CERTIFICATE_ONE_PER_CYCLE,
    RECERTIFICATION_RULE,
    AssignmentStatus,
    Certificate,
    ManagerDigest,
    TrainingAssignment,
)
from smoothlms.training.notices import Notice, render_notice, send_notices
from smoothlms.training.selectors import overdue_q

REMINDER_INTERVAL = dt.timedelta(days=7)


# Recertification ----------------------------------------------------------------------------------


def _quoted(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _recertification_sql() -> str:
    """One INSERT ... SELECT: a new assignment for each holder (enabled) of the latest certificate
    of a course expiring by a day, unless they have an open assignment of the course or one made for
    that certificate already (so a second run, or a second worker, opens nothing)."""
    cert, assignment, user = _quoted(Certificate), _quoted(TrainingAssignment), _quoted(User)
    # MariaDB plans the subqueries on the statistics of the moment: on a table just filled (the
    # first scan after a large import) it was seen to pick the course's index, which reads every
    # assignment of the course for each certificate (minutes for 50,000). The member's own
    # constraint indexes are always the right ones, so they are named.
    mysql = connection.vendor == "mysql"
    quote = connection.ops.quote_name
    by_cycle = f" FORCE INDEX ({quote(CERTIFICATE_ONE_PER_CYCLE)})" if mysql else ""
    by_due_date = f" FORCE INDEX ({quote(ASSIGNMENT_ONE_PER_DUE_DATE)})" if mysql else ""
    select = f"""
        SELECT c.member_id, c.course_id, c.expiry_date, %s, %s, %s, %s, c.id
        FROM {cert} c INNER JOIN {user} u ON u.id = c.member_id
        WHERE c.course_id IS NOT NULL AND c.expiry_date IS NOT NULL AND c.expiry_date <= %s AND u.enabled = %s
          AND NOT EXISTS (SELECT 1 FROM {cert} n{by_cycle}
                          WHERE n.member_id = c.member_id AND n.subject = c.subject AND n.cycle > c.cycle)
          AND NOT EXISTS (SELECT 1 FROM {assignment} a{by_due_date}
                          WHERE a.user_id = c.member_id AND a.course_id = c.course_id
                            AND (a.status = %s OR a.due_date = c.expiry_date OR a.renews_id = c.id))"""
    columns = "user_id, course_id, due_date, status, assigned_by_rule, created_at, updated_at, renews_id"
    if mysql:
        return f"INSERT IGNORE INTO {assignment} ({columns}) {select}"
    return f"INSERT INTO {assignment} ({columns}) {select} ON CONFLICT DO NOTHING"


def open_recertification_assignments(*, now: dt.datetime | None = None) -> int:
    """Open a training assignment for each certificate expiring within `recertify_days_before`
    days (LMS Settings), due on its expiry date: holders whose account is enabled, latest
    certificate of a course only. A constant number of queries whatever the number of certificates.
    Side effects: one TRAINING_ASSIGNED audit event with the count. The holders are emailed by
    notices.deliver_recertification_notices (the daily job queues it once this has committed).
    Returns how many were opened."""
    now = now or timezone.now()
    until = timezone.localdate(now) + dt.timedelta(days=LMSSettings.load().recertify_days_before)
    ops = connection.ops
    stamp = ops.adapt_datetimefield_value(now)
    with transaction.atomic(durable=True):
        with connection.cursor() as cursor:
            cursor.execute(
                _recertification_sql(),
                [
                    AssignmentStatus.ASSIGNED,
                    RECERTIFICATION_RULE,
                    stamp,
                    stamp,
                    ops.adapt_datefield_value(until),
                    True,
                    AssignmentStatus.ASSIGNED,
                ],
            )
            opened = max(cursor.rowcount, 0)
        if opened:
            record_event(
                EventType.TRAINING_ASSIGNED,
                actor=None,
                after={"rule": RECERTIFICATION_RULE, "assigned": opened, "expiring_by": until.isoformat()},
            )
    return opened


# Overdue reminders --------------------------------------------------------------------------------


def remind_overdue_assignments(*, now: dt.datetime | None = None) -> int:
    """Email each learner (enabled) about their overdue assignments, one email listing them, each
    assignment at most once every 7 days (`last_reminded_at`, claimed in one UPDATE before sending).
    Side effects: a TRAINING_REMINDED audit event with the count. Returns the emails sent."""
    now = now or timezone.now()
    due = TrainingAssignment.objects.filter(overdue_q(today=timezone.localdate(now)), user__enabled=True).filter(
        Q(last_reminded_at__isnull=True) | Q(last_reminded_at__lte=now - REMINDER_INTERVAL)
    )
    if not due.update(last_reminded_at=now):
        return 0
    per_user: dict[int, list[TrainingAssignment]] = defaultdict(list)
    for assignment in (
        TrainingAssignment.objects.filter(last_reminded_at=now)
        .select_related("user", "course")
        .order_by("user_id", "due_date", "pk")
    ):
        per_user[assignment.user_id].append(assignment)
    today = timezone.localdate(now)
    notices = []
    for user_id, assignments in per_user.items():
        user = assignments[0].user
        notices.append(
            render_notice(
                user_id,
                to=user.email,
                template="training/email/overdue.txt",
                subject=(
                    f"Overdue training: {assignments[0].course.title}"
                    if len(assignments) == 1
                    else f"Overdue training: {len(assignments)} courses"
                ),
                context={
                    "name": user.display_name,
                    "items": [
                        {
                            "course": a.course.title,
                            "due_date": human_date(a.due_date),
                            "days": (today - a.due_date).days,
                        }
                        for a in assignments
                    ],
                },
            )
        )
    failed = send_notices(notices)
    if failed:
        TrainingAssignment.objects.filter(last_reminded_at=now, user_id__in=failed).update(last_reminded_at=None)
    sent = len(notices) - len(failed)
    if sent:
        record_event(EventType.TRAINING_REMINDED, actor=None, after={"kind": "overdue", "emails": sent})
    return sent


# Managers' weekly digest --------------------------------------------------------------------------


@dataclass
class DigestItem:
    employee: str  # the direct report's name
    course: str
    kind: str  # "overdue" or "expiring"
    day: dt.date

    @property
    def text(self) -> str:
        if self.kind == "overdue":
            return f"{self.employee}: {self.course}, due {human_date(self.day)} (overdue)"
        return f"{self.employee}: {self.course} certificate expires {human_date(self.day)}"


@dataclass
class Digest:
    manager: str  # HR id
    items: list[DigestItem] = field(default_factory=list)


def week_of(day: dt.date) -> dt.date:
    """The Monday of `day`'s week: one digest per manager per week."""
    return day - dt.timedelta(days=day.weekday())


def list_manager_digests(*, today: dt.date, expiring_days: int) -> dict[str, Digest]:
    """Per manager (HR id), their active direct reports' overdue assignments and certificates
    expiring within `expiring_days` days (latest certificate of a course). Two queries."""
    digests: dict[str, Digest] = {}
    # One join to the employee record, with both conditions on it: a rehire's old record (left,
    # another manager) must not stand in for the active one.
    reports = "user__employees__"
    overdue = (
        TrainingAssignment.objects.filter(
            overdue_q(today=today), **{f"{reports}status": EmployeeStatus.ACTIVE, f"{reports}reports_to__gt": ""}
        )
        .values_list(f"{reports}reports_to", f"{reports}employee_name", "course__title", "due_date")
        .order_by("due_date", "pk")
    )
    for manager, name, course, day in overdue:
        digests.setdefault(manager, Digest(manager)).items.append(DigestItem(name, course, "overdue", day))
    newer = Certificate.objects.filter(
        member_id=OuterRef("member_id"), subject=OuterRef("subject"), cycle__gt=OuterRef("cycle")
    )
    member = "member__employees__"
    expiring = (
        Certificate.objects.filter(
            course__isnull=False,
            expiry_date__gte=today,
            expiry_date__lte=today + dt.timedelta(days=expiring_days),
            **{f"{member}status": EmployeeStatus.ACTIVE, f"{member}reports_to__gt": ""},
        )
        .filter(~Exists(newer))
        .values_list(f"{member}reports_to", f"{member}employee_name", "course__title", "expiry_date")
        .order_by("expiry_date", "pk")
    )
    for manager, name, course, day in expiring:
        digests.setdefault(manager, Digest(manager)).items.append(DigestItem(name, course, "expiring", day))
    return digests


def _manager_addresses(hr_ids: list[str]) -> dict[str, tuple[str, str]]:
    """HR id -> (email, name) of each active manager that can be reached."""
    found = {}
    for chunk in chunked(sorted(hr_ids), 500):
        for employee in Employee.objects.filter(employee__in=chunk, status=EmployeeStatus.ACTIVE).select_related(
            "user"
        ):
            email = (
                employee.user.email
                if employee.user_id and employee.user.enabled
                else (employee.company_email or employee.personal_email)
            )
            if email:
                found[employee.employee] = (email, employee.employee_name)
    return found


def _claim_digest(manager: str, week: dt.date, items: int) -> bool:
    try:
        with transaction.atomic():  # savepoint: another worker's claim of the same week is not an error
            ManagerDigest.objects.create(manager=manager, week=week, items=items)
    except IntegrityError:
        return False
    return True


def send_manager_digests(*, now: dt.datetime | None = None) -> int:
    """Email each manager (Employee.reports_to names them) one digest a week of their direct
    reports' overdue assignments and soon-expiring certificates (within `recertify_days_before`
    days). Managers with nothing to report get nothing. Claimed per manager and week
    (ManagerDigest) before sending. Returns the digests sent."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    week = week_of(today)
    digests = list_manager_digests(today=today, expiring_days=LMSSettings.load().recertify_days_before)
    addresses = _manager_addresses(list(digests))
    notices: list[Notice] = []
    for manager, digest in sorted(digests.items()):
        if manager not in addresses or not _claim_digest(manager, week, len(digest.items)):
            continue
        email, name = addresses[manager]
        overdue = [item for item in digest.items if item.kind == "overdue"]
        expiring = [item for item in digest.items if item.kind == "expiring"]
        notices.append(
            render_notice(
                manager,
                to=email,
                template="training/email/manager_digest.txt",
                subject=f"Your team's training: {len(overdue)} overdue, {len(expiring)} expiring soon",
                context={"name": name, "week": human_date(week), "overdue": overdue, "expiring": expiring},
            )
        )
    failed = send_notices(notices)
    if failed:
        ManagerDigest.objects.filter(week=week, manager__in=failed).delete()
    sent = len(notices) - len(failed)
    if sent:
        record_event(
            EventType.TRAINING_REMINDED,
            actor=None,
            after={"kind": "manager_digest", "emails": sent, "week": week.isoformat()},
        )
    return sent
