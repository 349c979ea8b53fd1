"""Writes on training: mandatory course assignments with due dates."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from smoothlms.catalog.models import Course
from smoothlms.core.audit import record_event
from smoothlms.core.bulk import insert_rows
from smoothlms.core.db import chunked
from smoothlms.core.models import EventType
from smoothlms.people.models import User
from smoothlms.training.errors import DueDateInPast, NoCourses
from smoothlms.training.models import AssignmentStatus, TrainingAssignment

ASSIGN_CHUNK = 2000


@dataclass
class AssignResult:
    assigned: int = 0
    skipped: int = 0


def assign_training(
    *,
    user_ids: Sequence[int],
    courses: Sequence[Course],
    due_date: dt.date,
    actor: User | None,
    assigned_by_rule: str = "",
    allow_past_due_date: bool = False,
    chunk_size: int = ASSIGN_CHUNK,
    progress: Callable[[int], None] | None = None,
) -> AssignResult:
    """Assign each course to each user, due on `due_date`.

    Rules: at least one course; the due date is not in the past (onboarding rules may allow it
    for late-recorded joiners); a user who already has an open (assigned) assignment of the course,
    or any assignment of it with this due date, is skipped, so running it again assigns nothing.
    Users and existing assignments are read per chunk in bulk; each chunk is one transaction.
    Side effects: one audit event per course and chunk with the count assigned. `progress` is
    called with the number of users done after each chunk."""
    if not courses:
        raise NoCourses()
    if not allow_past_due_date and due_date < timezone.localdate():
        raise DueDateInPast(due_date=due_date.isoformat())
    result = AssignResult()
    unique_ids = list(dict.fromkeys(user_ids))
    for chunk in chunked(unique_ids, chunk_size):
        with transaction.atomic(durable=True):
            _assign_chunk(chunk, courses, due_date, actor, assigned_by_rule, result)
        if progress:
            progress(len(chunk))
    return result


def _assign_chunk(user_ids: list[int], courses: Sequence[Course], due_date: dt.date, actor: User | None,
                  rule: str, result: AssignResult) -> None:
    now = timezone.now()
    for course in courses:
        have = set(
            TrainingAssignment.objects.filter(course=course, user_id__in=user_ids)
            .filter(Q(status=AssignmentStatus.ASSIGNED) | Q(due_date=due_date))
            .values_list("user_id", flat=True)
        )
        rows = [{"user_id": user_id, "course_id": course.pk, "due_date": due_date, "assigned_by_rule": rule,
                 "assigned_by_id": actor.pk if actor else None, "created_at": now, "updated_at": now}
                for user_id in user_ids if user_id not in have]
        # ignore_conflicts: a concurrent run that inserted the same (user, course, due date) first
        # already did what we wanted; the unique constraint decides.
        insert_rows(TrainingAssignment, rows, ignore_conflicts=True)
        result.assigned += len(rows)
        result.skipped += len(user_ids) - len(rows)
        if rows:
            record_event(EventType.TRAINING_ASSIGNED, actor=actor, source="hr_rule" if rule else "",
                         after={"course": course.name, "due_date": due_date.isoformat(), "assigned": len(rows),
                                "rule": rule})


def complete_assignments_for(*, user: User, course: Course, at: dt.datetime) -> int:
    """Close `user`'s open (assigned) training assignments of `course`: status completed at `at`.
    Called when the user's course enrollment reaches 100%, inside that transaction (no transaction of
    its own). Returns how many were closed; closed or cancelled ones are left as they are."""
    return (TrainingAssignment.objects.filter(user=user, course=course, status=AssignmentStatus.ASSIGNED)
            .update(status=AssignmentStatus.COMPLETED, completed_at=at, updated_at=at))
