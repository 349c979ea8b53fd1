"""Seats: taking and freeing them, the fields of a taken seat, and the seat-count rule.

`seats_taken` changes only here, with F() inside the enrolling transaction; the CheckConstraint
`batch_seats_within_seat_count` stops any path that skips these functions.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import F, Q

from smoothlms.catalog.models import Batch, Course
from smoothlms.catalog.services import apply_batch_changes
from smoothlms.core.audit import record_event
from smoothlms.core.models import EventType
from smoothlms.enrollment.errors import SeatCountBelowEnrolled
from smoothlms.enrollment.locks import lock_batches
from smoothlms.enrollment.models import EnrollmentStatus
from smoothlms.enrollment.outbox import fresh_email_state
from smoothlms.people.models import User


def take_seats(batch: Batch, count: int) -> bool:
    """Take `count` seats if that many are free: one conditional UPDATE (which also row-locks the
    batch until commit). False when the cohort has fewer free seats."""
    if count == 0:
        return True
    free = Q(seat_count__isnull=True) | Q(seat_count__gte=F("seats_taken") + count)
    return Batch.objects.filter(free, pk=batch.pk).update(seats_taken=F("seats_taken") + count) == 1


def free_seat(batch: Batch) -> None:
    Batch.objects.filter(pk=batch.pk).update(seats_taken=F("seats_taken") - 1)


def seat_fields(*, actor: User | None, source: str, override_reason: str, notify: bool) -> dict[str, Any]:
    """The enrollment row's fields for a seat taken now, by a new enrollment or by reactivating a
    cancelled one: active, a fresh confirmation outbox, no reminder sent yet (a reactivated seat gets
    its own reminder before the start)."""
    return {
        "status": EnrollmentStatus.ACTIVE,
        "source": str(source),
        "override_reason": override_reason,
        "created_by": actor,
        "cancelled_at": None,
        "reminder_sent_at": None,
        **fresh_email_state(notify=notify),
    }


def overrides_start(batch: Batch, *, override_start: bool, now: dt.datetime) -> bool:
    """An override given for a cohort that has started: recorded with its reason and audited."""
    return override_start and batch.has_started(at=now)


# The seat-count rule ------------------------------------------------------------------------------


def _check_seat_count(batch: Batch, seat_count: int | None) -> None:
    """The seat count never drops below the active enrollments (`batch` is locked and reloaded)."""
    if seat_count is not None and seat_count < batch.seats_taken:
        raise SeatCountBelowEnrolled(enrolled=batch.seats_taken)


@transaction.atomic(durable=True)
def update_batch(*, batch: Batch, actor: User | None, courses: list[Course] | None = None,
                 **changes: Any) -> Batch:
    """Change a cohort, its seat count included. Rules: the seat count never drops below the active
    enrollments, checked under the cohort's row lock so that no enrollment slips in between; then
    catalog's (the model's validation, a free name: catalog.services.apply_batch_changes).
    Side effects: an audit event for a seat-count change."""
    lock_batches(batch)
    seats_before = batch.seat_count
    if "seat_count" in changes:
        _check_seat_count(batch, changes["seat_count"])
    apply_batch_changes(batch=batch, courses=courses, **changes)
    if batch.seat_count != seats_before:
        record_event(EventType.SEATS_CHANGED, actor=actor, batch=batch,
                     before={"seat_count": seats_before}, after={"seat_count": batch.seat_count})
    return batch
