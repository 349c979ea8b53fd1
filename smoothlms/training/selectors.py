"""Reads on training."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from smoothlms.catalog.models import Batch, BatchCourse
from smoothlms.core.db import filter_days, filter_within, iterate_values
from smoothlms.core.models import EnrollmentEvent, EventType
from smoothlms.core.timeutil import iso_seconds
from smoothlms.enrollment.models import BatchEnrollment
from smoothlms.people.models import Employee, EmployeeStatus, User
from smoothlms.people.roles import Role
from smoothlms.training.errors import CertificateNotFound
from smoothlms.training.models import AssignmentStatus, Certificate, TrainingAssignment


def list_active_employee_user_ids(*, department: str | None = None) -> list[int]:
    """The users of active employees (status Active with an enabled linked user: CONTRACT.md section
    7), optionally of one department (any case), in id order, without repeats."""
    employees = Employee.objects.filter(status=EmployeeStatus.ACTIVE, user__isnull=False, user__enabled=True)
    if department:
        employees = employees.filter(department__iexact=department.strip())
    return list(employees.order_by("user_id").values_list("user_id", flat=True).distinct())


def overdue_q(prefix: str = "", *, today=None) -> Q:
    """Open assignments past their due date (due dates are dates: `today` in the desk's zone)."""
    today = today or timezone.localdate()
    return Q(**{f"{prefix}status": AssignmentStatus.ASSIGNED, f"{prefix}due_date__lt": today})


def list_training_assignments(*, overdue: bool | None = None) -> QuerySet[TrainingAssignment]:
    """Assignments with their user and course; `overdue` True keeps open ones past their due date,
    False the others."""
    queryset = TrainingAssignment.objects.select_related("user", "course")
    if overdue is True:
        queryset = queryset.filter(overdue_q())
    elif overdue is False:
        queryset = queryset.exclude(overdue_q())
    return queryset


def count_overdue_assignments() -> int:
    return TrainingAssignment.objects.filter(overdue_q()).count()


def list_overdue_assignments(*, today=None) -> QuerySet[TrainingAssignment]:
    """Open assignments past their due date, most overdue first, with their user and course."""
    return (
        TrainingAssignment.objects.filter(overdue_q(today=today))
        .select_related("user", "course")
        .order_by("due_date", "id")
    )


# Exports (csvio.exports streams them as CSV) ----------------------------------------------------
# In id order, a chunk at a time (core.db.iterate_values): constant memory however many rows.


def _in_batch_courses(queryset: QuerySet, batch: Batch, *, member: str) -> QuerySet:
    """Rows of the cohort's members (any enrollment status: history counts) in the cohort's courses."""
    return queryset.filter(
        Exists(BatchEnrollment.objects.filter(batch=batch, member_id=OuterRef(f"{member}_id"))),
        Exists(BatchCourse.objects.filter(batch=batch, course_id=OuterRef("course_id"))),
    )


def _rows(queryset: QuerySet, fields: tuple[str, ...]) -> Iterator[tuple]:
    for row in iterate_values(queryset, fields):
        yield tuple(iso_seconds(value) for value in row)


def list_training_assignment_export_rows(
    *,
    batch: Batch | None = None,
    member: str = "",
    since: dt.date | None = None,
    until: dt.date | None = None,
    within: QuerySet | None = None,
) -> Iterator[tuple]:
    """Assignments, narrowed to a cohort (its members in its courses), a user (email), due dates
    and `within` (a desk list's rows): user, user name, course, course title, due date, status,
    completed_at, rule, assigned by, created_at."""
    queryset = filter_within(TrainingAssignment.objects.all(), within)
    if batch is not None:
        queryset = _in_batch_courses(queryset, batch, member="user")
    if member:
        queryset = queryset.filter(user__email=member)
    queryset = filter_days(queryset, "due_date", since=since, until=until, is_date=True)
    return _rows(
        queryset,
        (
            "user__email",
            "user__full_name",
            "course__name",
            "course__title",
            "due_date",
            "status",
            "completed_at",
            "assigned_by_rule",
            "assigned_by__email",
            "created_at",
        ),
    )


def list_certificate_export_rows(
    *,
    batch: Batch | None = None,
    member: str = "",
    since: dt.date | None = None,
    until: dt.date | None = None,
    within: QuerySet | None = None,
) -> Iterator[tuple]:
    """Certificates, narrowed to a cohort, a member (email), issue dates and `within` (a desk
    list's rows): name, member, member name, course, course title, batch, issue date, expiry date,
    created_at."""
    queryset = filter_within(Certificate.objects.all(), within)
    if batch is not None:
        queryset = queryset.filter(batch=batch)
    if member:
        queryset = queryset.filter(member__email=member)
    queryset = filter_days(queryset, "issue_date", since=since, until=until, is_date=True)
    return _rows(
        queryset,
        (
            "name",
            "member__email",
            "member__full_name",
            "course__name",
            "course__title",
            "batch__name",
            "issue_date",
            "expiry_date",
            "created_at",
        ),
    )


# Desk: an assignment's history ------------------------------------------


# The desk's actions on an assignment leave audit events naming it (after["assignment"]).
ASSIGNMENT_EVENT_KINDS = (EventType.TRAINING_REMINDED, EventType.TRAINING_DUE_DATE_CHANGED)


def count_assignment_events(*, assignment: TrainingAssignment) -> int:
    """Audit events about one assignment: reminders sent and due dates moved (its history)."""
    return EnrollmentEvent.objects.filter(
        member_id=assignment.user_id, kind__in=ASSIGNMENT_EVENT_KINDS, after__assignment=assignment.pk
    ).count()


# Certificates -------------------------------------------------------------------------------------


def newer_certificate_exists() -> Exists:
    """For annotating certificates: a later cycle of the same member and course (or cohort)."""
    return Exists(
        Certificate.objects.filter(
            member_id=OuterRef("member_id"), subject=OuterRef("subject"), cycle__gt=OuterRef("cycle")
        )
    )


def get_certificate(*, name: str) -> Certificate:
    """The certificate numbered `name` with its holder, course and cohort, or CertificateNotFound.
    Leavers' certificates are found too: the record outlives the account."""
    name = (name or "").strip()
    if not name or len(name) > 64 or "\x00" in name:  # no such number can exist (and PostgreSQL refuses NUL)
        raise CertificateNotFound(name=name[:64].replace("\x00", "") or "(blank)")
    certificates = Certificate.objects.select_related("member", "course", "batch")
    # Numbers are issued in capitals; one typed from paper in lower case is the same number (MariaDB
    # compares without case anyway). Each try is an index lookup.
    found = certificates.filter(name=name).first() or (
        certificates.filter(name=name.upper()).first() if name != name.upper() else None
    )
    if found is None:
        raise CertificateNotFound(name=name)
    return found


def can_download_certificate(*, user: User, certificate: Certificate) -> bool:
    """The holder, and staff who may read certificates (desk permission) or HR Managers."""
    if not user.is_authenticated or not user.enabled:
        return False
    return (
        certificate.member_id == user.pk
        or user.has_perm("training.view_certificate")
        or user.has_role(Role.HR_MANAGER, Role.SYSTEM_MANAGER)
    )


def list_member_certificates(*, member: User) -> QuerySet[Certificate]:
    """A member's certificates, newest first, with course and cohort."""
    return (
        Certificate.objects.filter(member=member)
        .select_related("member", "course", "batch")
        .order_by("-issue_date", "-id")
    )


@dataclass(frozen=True)
class AssignmentRow:
    assignment: TrainingAssignment
    state: str  # overdue, due, completed
    days: int  # days overdue (overdue), days left (due), 0 (completed)


@dataclass(frozen=True)
class CertificateRow:
    certificate: Certificate
    valid: bool
    superseded: bool  # a later certificate of the same course renews it


@dataclass(frozen=True)
class LearnerTraining:
    assignments: list[AssignmentRow]
    certificates: list[CertificateRow]

    @property
    def overdue_count(self) -> int:
        return sum(1 for row in self.assignments if row.state == "overdue")


COMPLETED_SHOWN = 20


def list_my_assignments_and_certificates(user: User, *, today: dt.date | None = None) -> LearnerTraining:
    """For the portal's /lms/courses: the learner's open training assignments by due date (so the
    overdue ones come first, most overdue first), then their latest completed ones; and their
    certificates, newest first, with whether each is valid today. Three queries."""
    today = today or timezone.localdate()
    mine = TrainingAssignment.objects.filter(user=user).select_related("course")
    rows = []
    for assignment in mine.filter(status=AssignmentStatus.ASSIGNED).order_by("due_date", "id"):
        days = (assignment.due_date - today).days
        rows.append(AssignmentRow(assignment, "overdue" if days < 0 else "due", abs(days)))
    for assignment in mine.filter(status=AssignmentStatus.COMPLETED).order_by("-completed_at", "-id")[:COMPLETED_SHOWN]:
        rows.append(AssignmentRow(assignment, "completed", 0))
    certificates = [
        CertificateRow(cert, cert.is_valid_on(today), cert.superseded)
        for cert in list_member_certificates(member=user).annotate(superseded=newer_certificate_exists())
    ]
    return LearnerTraining(assignments=rows, certificates=certificates)
