"""Changing a cohort (the seat-count rule, course access for added courses, the waitlist) and
duplicating one."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from smoothlms.catalog.models import Batch, Course
from smoothlms.catalog.services import apply_batch_changes, copy_batch
from smoothlms.core.audit import record_event
from smoothlms.core.models import EventType
from smoothlms.enrollment.errors import SeatCountBelowEnrolled
from smoothlms.enrollment.locks import lock_batches
from smoothlms.enrollment.models import BatchEnrollment, EnrollmentStatus, Source
from smoothlms.enrollment.services.access import grant_courses_to_members
from smoothlms.enrollment.services.events import record_enrollment_events
from smoothlms.enrollment.services.waitlist import promote_waitlist, waitlist_fields
from smoothlms.people.models import User


def _check_seat_count(batch: Batch, seat_count: int | None) -> None:
    """The seat count never drops below the active enrollments (`batch` is locked and reloaded)."""
    if seat_count is not None and seat_count < batch.seats_taken:
        raise SeatCountBelowEnrolled(enrolled=batch.seats_taken)


def _course_ids(batch: Batch) -> set[int]:
    return set(batch.batch_courses.values_list("course_id", flat=True))


@transaction.atomic(durable=True)
def update_batch(*, batch: Batch, actor: User | None, courses: list[Course] | None = None, **changes: Any) -> Batch:
    """Change a cohort, its seat count included. Rules: the seat count never drops below the active
    enrollments, checked under the cohort's row lock so that no enrollment slips in between; then
    catalog's (the model's validation, a free name: catalog.services.apply_batch_changes).
    Side effects: an audit event for a seat-count change; a course added to the cohort is granted to
    every active member; new seats (a higher or no seat count) go to the waitlist, first come first."""
    lock_batches(batch)
    seats_before = batch.seat_count
    courses_before = _course_ids(batch) if courses is not None else set()
    if "seat_count" in changes:
        _check_seat_count(batch, changes["seat_count"])
    apply_batch_changes(batch=batch, courses=courses, **changes)
    if courses is not None and _course_ids(batch) - courses_before:
        grant_courses_to_members(batch=batch)
    if batch.seat_count != seats_before:
        record_event(
            EventType.SEATS_CHANGED,
            actor=actor,
            batch=batch,
            before={"seat_count": seats_before},
            after={"seat_count": batch.seat_count},
        )
    promote_waitlist(batch, actor=actor)  # more seats, or published now: those waiting take them
    return batch


@transaction.atomic(durable=True)
def duplicate_batch(
    *,
    batch: Batch,
    title: str,
    start_date: dt.date,
    end_date: dt.date | None = None,
    move_waitlist: bool = False,
    actor: User | None,
) -> Batch:
    """A new unpublished cohort like `batch` (catalog.services.copy_batch: settings, courses, live
    classes shifted). Rules: create_batch's. `move_waitlist`: the original's waitlist moves to the
    copy in the same order (their rows in the original are cancelled with a `transferred` event);
    they are seated once the copy is published. Side effects: audit events of the moved members."""
    lock_batches(batch)
    copy = copy_batch(batch=batch, title=title, start_date=start_date, end_date=end_date, actor=actor)
    if move_waitlist:
        _move_waitlist(batch, copy, actor=actor)
    return copy


def _move_waitlist(source: Batch, target: Batch, *, actor: User | None) -> None:
    now = timezone.now()
    rows = list(
        BatchEnrollment.objects.filter(batch=source, status=EnrollmentStatus.WAITLISTED).order_by("waitlisted_at", "pk")
    )
    if not rows:
        return
    BatchEnrollment.objects.bulk_create(
        [
            BatchEnrollment(
                batch=target,
                member_id=row.member_id,
                member_type=row.member_type,
                created_at=now,
                updated_at=now,
                **{**waitlist_fields(actor=actor, source=row.source, at=row.waitlisted_at or now)},
            )
            for row in rows
        ]
    )
    member_ids = [row.member_id for row in rows]
    BatchEnrollment.objects.filter(pk__in=[row.pk for row in rows]).update(
        status=EnrollmentStatus.CANCELLED, cancelled_at=now, updated_at=now
    )
    common = {"actor": actor, "source": Source.DESK, "reason": "", "at": now, "member_ids": member_ids}
    record_enrollment_events(
        EventType.TRANSFERRED,
        batch=source,
        after={"status": EnrollmentStatus.CANCELLED, "to_batch": target.name},
        **common,
    )
    record_enrollment_events(
        EventType.WAITLISTED,
        batch=target,
        after={"status": EnrollmentStatus.WAITLISTED, "from_batch": source.name},
        **common,
    )
