"""Seats: taking and freeing them, and the fields of a taken seat.

`seats_taken` changes only here, with F() inside the enrolling transaction; the CheckConstraint
`batch_seats_within_seat_count` stops any path that skips these functions.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection
from django.db.models import F, Q, QuerySet
from django.db.models.sql import UpdateQuery

from smoothlms.catalog.models import Batch
from smoothlms.enrollment.models import EnrollmentStatus
from smoothlms.enrollment.outbox import fresh_email_state
from smoothlms.people.models import User


def take_seats(batch: Batch, count: int, *, unchanged_since: dt.datetime | None = None) -> bool:
    """Take `count` seats if that many are free: one conditional UPDATE (which also row-locks the
    batch until commit). False when the cohort has fewer free seats, or, with `unchanged_since`
    (the `updated_at` the caller's facts were read at), when the cohort was edited since."""
    if count == 0:
        return True
    return _free_seats(batch, count, unchanged_since).update(seats_taken=F("seats_taken") + count) == 1


def take_seat_sql(batch: Batch, *, unchanged_since: dt.datetime) -> tuple[str, list]:
    """`take_seats(batch, 1, unchanged_since=...)`'s UPDATE as SQL and parameters, for a statement
    that goes on from the seat (it returns a row when the seat was taken, none otherwise)."""
    query = _free_seats(batch, 1, unchanged_since).query.chain(UpdateQuery)
    query.add_update_values({"seats_taken": F("seats_taken") + 1})
    sql, params = query.get_compiler(connection=connection).as_sql()
    return f"{sql} RETURNING {connection.ops.quote_name('id')}", list(params)


def _free_seats(batch: Batch, count: int, unchanged_since: dt.datetime | None) -> QuerySet[Batch]:
    free = Q(seat_count__isnull=True) | Q(seat_count__gte=F("seats_taken") + count)
    if unchanged_since is not None:
        free &= Q(updated_at=unchanged_since)
    return Batch.objects.filter(free, pk=batch.pk)


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
        "promoted_at": None,
        **fresh_email_state(notify=notify),
    }


def overrides_start(batch: Batch, *, override_start: bool, now: dt.datetime) -> bool:
    """An override given for a cohort that has started: recorded with its reason and audited."""
    return override_start and batch.has_started(at=now)
