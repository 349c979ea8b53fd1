"""A new member's seat in one statement, on PostgreSQL: the seat's conditional UPDATE, the
enrollment row, its course access and its audit event, chained as data-modifying WITH queries.

Run in autocommit, the statement is its own transaction: the cohort's row is locked while the
statement runs and no longer, where the step-by-step path (enrolling._seat) holds it across four
round trips and the Python between them. It is what self-enrollment takes when the rules, on
committed facts, give the member a seat (the cohort's hottest write); every other case (a cancelled
row reactivated, an override, a waitlist, SQLite and MariaDB, which cannot chain writes in one
statement) goes step by step. Both write the same rows (enrollment/tests/test_single_statement.py).
"""

from __future__ import annotations

import datetime as dt

from django.db import connection

from smoothlms.catalog.models import Batch
from smoothlms.core.db import insert_select, instance_from_row
from smoothlms.core.models import EnrollmentEvent
from smoothlms.enrollment.models import BatchEnrollment
from smoothlms.enrollment.services.access import course_access_sql
from smoothlms.enrollment.services.seats import take_seat_sql


def can_seat_in_one_statement() -> bool:
    return connection.vendor == "postgresql"


def seat_in_one_statement(
    batch: Batch, enrollment: BatchEnrollment, event: EnrollmentEvent, *, unchanged_since: dt.datetime
) -> BatchEnrollment | None:
    """Take a seat in `batch` (`take_seat_sql`: one free, the cohort unchanged since
    `unchanged_since`) and, only if it was taken, insert `enrollment` (unsaved), the cohort's
    courses for its member (`course_access_sql`) and `event` (unsaved) naming the new enrollment.
    Returns the enrollment as inserted, or None when the seat was not taken: then nothing was
    written. Each write draws its rows from the one before (the seat's row, then the enrollment's),
    so the cohort's row is locked before anything is written, as on every path. A member enrolled
    meanwhile raises the unique constraint's IntegrityError and the whole statement is undone."""
    quote = connection.ops.quote_name
    seat, seat_params = take_seat_sql(batch, unchanged_since=unchanged_since)
    insert, insert_params = insert_select(enrollment, from_sql="seat")
    returning = ", ".join(quote(field.column) for field in BatchEnrollment._meta.concrete_fields)
    access, access_params = course_access_sql(batch, "enrolled", [])
    audit, audit_params = insert_select(event, from_sql="enrolled", columns={"enrollment_id": "enrolled.id"})
    sql = (
        f"WITH seat AS ({seat}), enrolled AS ({insert} RETURNING {returning}), "
        f"access AS ({access}), audit AS ({audit}) SELECT {returning} FROM enrolled"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*seat_params, *insert_params, *access_params, *audit_params])
        row = cursor.fetchone()
    if row is None:
        return None
    inserted = instance_from_row(BatchEnrollment, row)
    inserted.batch, inserted.member = batch, enrollment.member
    return inserted
