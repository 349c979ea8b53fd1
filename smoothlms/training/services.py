"""Writes on training: mandatory course assignments with due dates, reminders, extensions."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from smoothlms.catalog.models import Course
from smoothlms.core.audit import record_event
from smoothlms.core.bulk import insert_rows
from smoothlms.core.db import chunked
from smoothlms.core.models import EventType
from smoothlms.enrollment.errors import UserDisabled
from smoothlms.people.models import User
from smoothlms.training.errors import (
    AssignmentNotOpen,
    DueDateInPast,
    DueDateNotLater,
    DueDateReasonRequired,
    DueDateTaken,
    NoCourses,
)
from smoothlms.training.locks import lock_assignments
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


def _assign_chunk(
    user_ids: list[int],
    courses: Sequence[Course],
    due_date: dt.date,
    actor: User | None,
    rule: str,
    result: AssignResult,
) -> None:
    now = timezone.now()
    for course in courses:
        have = set(
            TrainingAssignment.objects.filter(course=course, user_id__in=user_ids)
            .filter(Q(status=AssignmentStatus.ASSIGNED) | Q(due_date=due_date))
            .values_list("user_id", flat=True)
        )
        rows = [
            {
                "user_id": user_id,
                "course_id": course.pk,
                "due_date": due_date,
                "assigned_by_rule": rule,
                "assigned_by_id": actor.pk if actor else None,
                "created_at": now,
                "updated_at": now,
            }
            for user_id in user_ids
            if user_id not in have
        ]
        # ignore_conflicts: a concurrent run that inserted the same (user, course, due date) first
        # already did what we wanted; the unique constraint decides.
        insert_rows(TrainingAssignment, rows, ignore_conflicts=True)
        result.assigned += len(rows)
        result.skipped += len(user_ids) - len(rows)
        if rows:
            record_event(
                EventType.TRAINING_ASSIGNED,
                actor=actor,
                source="hr_rule" if rule else "",
                after={"course": course.name, "due_date": due_date.isoformat(), "assigned": len(rows), "rule": rule},
            )


def complete_assignments_for(*, user: User, course: Course, at: dt.datetime) -> int:
    """Close `user`'s open (assigned) training assignments of `course`: status completed at `at`.
    Called when the user's course enrollment reaches 100%, inside that transaction (no transaction of
    its own). Returns how many were closed; closed or cancelled ones are left as they are."""
    return TrainingAssignment.objects.filter(user=user, course=course, status=AssignmentStatus.ASSIGNED).update(
        status=AssignmentStatus.COMPLETED, completed_at=at, updated_at=at
    )


# Reminders and due dates (the desk's actions on the overdue list) ------------------------------

log = logging.getLogger(__name__)


def _check_open(assignment: TrainingAssignment) -> None:
    if assignment.status != AssignmentStatus.ASSIGNED:
        raise AssignmentNotOpen(
            course=assignment.course.name, email=assignment.user.email, status=assignment.get_status_display().lower()
        )


def _assignment_facts(assignment: TrainingAssignment) -> dict:
    return {"assignment": assignment.pk, "course": assignment.course.name, "due_date": assignment.due_date.isoformat()}


@transaction.atomic(durable=True)
def remind_learner(*, assignment: TrainingAssignment, actor: User | None, source: str = "") -> TrainingAssignment:
    """Email the learner a reminder of an open assignment: its course and due date (overdue or not).

    Rules: the assignment is open (assigned); its user is enabled.
    Side effects: an audit event (training_reminded) naming the assignment; the email is sent with
    django.core.mail once the transaction commits (a rolled-back reminder sends nothing; a mail
    server that refuses it is logged)."""
    lock_assignments(assignment)
    _check_open(assignment)
    if not assignment.user.enabled:
        raise UserDisabled(email=assignment.user.email)
    record_event(
        EventType.TRAINING_REMINDED,
        actor=actor,
        member=assignment.user,
        source=source,
        after={**_assignment_facts(assignment), "kind": "desk"},
    )
    transaction.on_commit(partial(_send_reminder, assignment.pk), robust=True)
    return assignment


def _send_reminder(assignment_id: int) -> None:
    assignment = TrainingAssignment.objects.select_related("user", "course").get(pk=assignment_id)
    user, course = assignment.user, assignment.course
    overdue = assignment.due_date < timezone.localdate()
    when = f"{'was due on' if overdue else 'is due on'} {assignment.due_date:%d %B %Y}"
    body = (
        f"Hello {user.display_name},\n\n"
        f'This is a reminder that your training "{course.title}" {when}.\n\n'
        f"Open your courses: {settings.SITE_URL}/lms/courses\n"
    )
    send_mail(f"Reminder: {course.title} {when}", body, None, [user.email])
    log.info("training reminder sent to %s for assignment %s", user.email, assignment_id)


@transaction.atomic(durable=True)
def extend_due_date(
    *, assignment: TrainingAssignment, due_date: dt.date, reason: str, actor: User | None, source: str = ""
) -> TrainingAssignment:
    """Move an open assignment's due date later.

    Rules: a reason is given; the assignment is open (assigned); the new date is after the current
    one and not in the past; the user has no other assignment of the course due that day.
    Side effects: an audit event (training_due_date_changed) with the dates before and after and
    the reason."""
    reason = (reason or "").strip()
    if not reason:
        raise DueDateReasonRequired()
    lock_assignments(assignment)
    _check_open(assignment)
    if due_date <= assignment.due_date:
        raise DueDateNotLater(due_date=due_date.isoformat(), current=assignment.due_date.isoformat())
    if due_date < timezone.localdate():
        raise DueDateInPast(due_date=due_date.isoformat())
    taken = DueDateTaken(email=assignment.user.email, course=assignment.course.name, due_date=due_date.isoformat())
    same_day = TrainingAssignment.objects.filter(
        user_id=assignment.user_id, course_id=assignment.course_id, due_date=due_date
    )
    if same_day.exists():
        raise taken
    before = _assignment_facts(assignment)
    try:
        with transaction.atomic():  # savepoint: a unique violation must not poison the outer transaction
            TrainingAssignment.objects.filter(pk=assignment.pk).update(due_date=due_date, updated_at=timezone.now())
    except IntegrityError as exc:
        # Only training_assignment_one_per_due_date covers the due date: one was added meanwhile.
        raise taken from exc
    assignment.refresh_from_db()
    record_event(
        EventType.TRAINING_DUE_DATE_CHANGED,
        actor=actor,
        member=assignment.user,
        source=source,
        reason=reason,
        before=before,
        after=_assignment_facts(assignment),
    )
    return assignment
