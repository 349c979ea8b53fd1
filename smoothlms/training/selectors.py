"""Reads on training."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from smoothlms.catalog.models import Batch, BatchCourse
from smoothlms.core.db import filter_days, iterate_values
from smoothlms.core.timeutil import iso_seconds
from smoothlms.enrollment.models import BatchEnrollment
from smoothlms.training.models import AssignmentStatus, Certificate, QuizSubmission, TrainingAssignment


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
    return (TrainingAssignment.objects.filter(overdue_q(today=today)).select_related("user", "course")
            .order_by("due_date", "id"))


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


def list_training_assignment_export_rows(*, batch: Batch | None = None, member: str = "",
                                         since: dt.date | None = None, until: dt.date | None = None
                                         ) -> Iterator[tuple]:
    """Assignments, narrowed to a cohort (its members in its courses), a user (email) and due
    dates: user, user name, course, course title, due date, status, completed_at, rule, assigned
    by, created_at."""
    queryset = TrainingAssignment.objects.all()
    if batch is not None:
        queryset = _in_batch_courses(queryset, batch, member="user")
    if member:
        queryset = queryset.filter(user__email=member)
    queryset = filter_days(queryset, "due_date", since=since, until=until, is_date=True)
    return _rows(queryset, ("user__email", "user__full_name", "course__name", "course__title", "due_date", "status",
                            "completed_at", "assigned_by_rule", "assigned_by__email", "created_at"))


def list_certificate_export_rows(*, batch: Batch | None = None, member: str = "", since: dt.date | None = None,
                                 until: dt.date | None = None) -> Iterator[tuple]:
    """Certificates, narrowed to a cohort, a member (email) and issue dates: name, member, member
    name, course, course title, batch, issue date, expiry date, created_at."""
    queryset = Certificate.objects.all()
    if batch is not None:
        queryset = queryset.filter(batch=batch)
    if member:
        queryset = queryset.filter(member__email=member)
    queryset = filter_days(queryset, "issue_date", since=since, until=until, is_date=True)
    return _rows(queryset, ("name", "member__email", "member__full_name", "course__name", "course__title",
                            "batch__name", "issue_date", "expiry_date", "created_at"))


def list_quiz_submission_export_rows(*, batch: Batch | None = None, member: str = "", since: dt.date | None = None,
                                     until: dt.date | None = None) -> Iterator[tuple]:
    """Quiz submissions, narrowed to a cohort (its members in its courses), a member (email) and
    the days they were submitted on: member, member name, course, quiz, score, out of, percentage,
    passed, submitted_at."""
    queryset = QuizSubmission.objects.all()
    if batch is not None:
        queryset = _in_batch_courses(queryset, batch, member="member")
    if member:
        queryset = queryset.filter(member__email=member)
    queryset = filter_days(queryset, "submitted_at", since=since, until=until, is_date=False)
    return _rows(queryset, ("member__email", "member__full_name", "course__name", "quiz", "score", "score_out_of",
                            "percentage", "passed", "submitted_at"))
