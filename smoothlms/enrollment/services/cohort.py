"""Changing a cohort: the seat-count rule, course access for added courses, the waitlist."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from smoothlms.catalog.models import Batch, Course
from smoothlms.catalog.services import apply_batch_changes
from smoothlms.core.audit import record_event
from smoothlms.core.models import EventType
from smoothlms.enrollment.errors import SeatCountBelowEnrolled
from smoothlms.enrollment.locks import lock_batches
from smoothlms.enrollment.services.access import grant_courses_to_members
from smoothlms.enrollment.services.waitlist import promote_waitlist
from smoothlms.people.models import User


def _check_seat_count(batch: Batch, seat_count: int | None) -> None:
    """The seat count never drops below the active enrollments (`batch` is locked and reloaded)."""
    if seat_count is not None and seat_count < batch.seats_taken:
        raise SeatCountBelowEnrolled(enrolled=batch.seats_taken)


def _course_ids(batch: Batch) -> set[int]:
    return set(batch.batch_courses.values_list("course_id", flat=True))


@transaction.atomic(durable=True)
def update_batch(*, batch: Batch, actor: User | None, courses: list[Course] | None = None,
                 **changes: Any) -> Batch:
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
        record_event(EventType.SEATS_CHANGED, actor=actor, batch=batch,
                     before={"seat_count": seats_before}, after={"seat_count": batch.seat_count})
        promote_waitlist(batch, actor=actor)
    return batch
