"""How many statements an enrollment costs, and where the cohort's row lock sits among them: a
self-enrollment reads everything first and locks the cohort with its seat UPDATE, which only
inserts follow; a bulk chunk costs the same statements whatever its number of members."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from smoothlms.catalog.models import Batch
from smoothlms.catalog.tests.factories import BatchFactory, CourseFactory
from smoothlms.enrollment.errors import CohortFull
from smoothlms.enrollment.models import BatchEnrollment, EnrollmentStatus, Source
from smoothlms.enrollment.services import bulk_enroll, enroll, enroll_self
from smoothlms.people.tests.factories import UserFactory, moderator

_CONTROL = re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE\s+SAVEPOINT)\b", re.IGNORECASE)
_SEAT = re.compile(r'^\s*UPDATE\s+[`"]?catalog_batch[`"]?\s+SET\s+[`"]?seats_taken', re.IGNORECASE)
_ONE_STATEMENT_SEAT = re.compile(r'^\s*WITH\s+seat\s+AS\s+\(\s*UPDATE\s+"catalog_batch"\s+SET\s+"seats_taken"')

# The single path: the cohort reloaded with its first unpublished course; the member (Student role,
# HR record, row in the cohort) in one; the seat; the enrollment, its course access (one insert that
# restores withdrawn rows on conflict) and its audit event. No savepoint.
SELF_ENROLLMENT_STATEMENTS = 6


def _statements(captured: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in captured.captured_queries if not _CONTROL.match(q["sql"])]


@pytest.mark.django_db(transaction=True)
def test_a_self_enrollment_reads_first_and_locks_the_cohort_last():
    batch, learner = BatchFactory(seat_count=5, courses=[CourseFactory()]), UserFactory()
    with CaptureQueriesContext(connection) as captured:  # notify off: the email's own statements are not counted
        enroll(batch=batch, member=learner, actor=learner, source=Source.PORTAL, notify=False)
    statements = _statements(captured)
    assert len(statements) == SELF_ENROLLMENT_STATEMENTS, "\n".join(statements)
    assert not any("FOR UPDATE" in sql.upper() for sql in statements)
    assert not any("SAVEPOINT" in q["sql"].upper() for q in captured.captured_queries)
    seat = next(i for i, sql in enumerate(statements) if _SEAT.match(sql))
    assert all(sql.lstrip().upper().startswith("SELECT") for sql in statements[:seat])
    assert not any(sql.lstrip().upper().startswith("SELECT") for sql in statements[seat + 1 :])


@pytest.mark.django_db(transaction=True)
def test_a_full_cohort_refuses_from_its_committed_seats_without_locking_or_writing():
    batch = BatchFactory(seat_count=1)
    enroll(batch=batch, member=UserFactory(), actor=None, source=Source.API, notify=False)
    learner = UserFactory()
    with CaptureQueriesContext(connection) as captured, pytest.raises(CohortFull):
        enroll(batch=batch, member=learner, actor=learner, source=Source.PORTAL, notify=False)
    statements = _statements(captured)
    assert all(sql.lstrip().upper().startswith("SELECT") for sql in statements), "\n".join(statements)
    assert not any("FOR UPDATE" in sql.upper() for sql in statements)
    assert not BatchEnrollment.objects.filter(batch=batch, member=learner).exists()


def _bulk_statements(members: int) -> list[str]:
    batch = BatchFactory(seat_count=None, courses=[CourseFactory(), CourseFactory()])
    emails, mod = [UserFactory().email for _ in range(members)], moderator()
    with CaptureQueriesContext(connection) as captured:
        result = bulk_enroll(
            batch=batch, members=emails, actor=mod, source=Source.API, chunk_size=members, notify=False
        )
    assert result.created == members
    return _statements(captured)


@pytest.mark.django_db(transaction=True)
def test_a_bulk_chunk_costs_the_same_statements_for_3_members_as_for_60():
    few, many = _bulk_statements(3), _bulk_statements(60)
    assert len(few) == len(many), "\n".join(few) + "\n---\n" + "\n".join(many)
    # The lock, the members (one read), the cohort's courses, the seats, the rows, course access
    # (one insert-or-restore), the audit events: a handful, whatever the size.
    assert len(many) <= 10, "\n".join(many)


@pytest.mark.django_db
def test_the_seat_update_misses_when_the_cohort_was_edited_after_it_was_read():
    from smoothlms.enrollment.services.seats import take_seats

    batch = BatchFactory(seat_count=5)
    read_at = batch.updated_at
    batch.title = "Renamed"
    batch.save()  # an edit between the read and the seat: the facts read may be stale
    assert not take_seats(batch, 1, unchanged_since=read_at)
    batch.refresh_from_db()
    assert batch.seats_taken == 0
    assert take_seats(batch, 1, unchanged_since=batch.updated_at)
    batch.refresh_from_db()
    assert batch.seats_taken == 1


@pytest.mark.django_db(transaction=True)
def test_a_refused_self_enrollment_by_name_is_one_read_outside_any_transaction():
    batch = BatchFactory(seat_count=1, allow_self_enrollment=True, courses=[CourseFactory()])
    enroll(batch=batch, member=UserFactory(), actor=None, source=Source.API, notify=False)
    learner = UserFactory()
    in_transaction = []  # for each statement: was a transaction open when it ran

    def watch(execute, sql, params, many, context):
        in_transaction.append(connection.in_atomic_block)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(watch), pytest.raises(CohortFull):
        enroll_self(batch_name=batch.name, member=learner, source=Source.API)
    assert in_transaction == [False]  # one read, no transaction begun: nothing to roll back
    # The same read, a seat free: the seat and its inserts follow it at once (in one statement of
    # its own on PostgreSQL, enrollment.services.single_statement).
    batch.seat_count = 2
    batch.save()
    with CaptureQueriesContext(connection) as captured:
        enrollment = enroll_self(batch_name=batch.name, member=learner, source=Source.API)
    assert enrollment.status == EnrollmentStatus.ACTIVE
    statements = _statements(captured)
    assert statements[0].lstrip().upper().startswith("SELECT")
    seat = _ONE_STATEMENT_SEAT if connection.vendor == "postgresql" else _SEAT
    assert seat.match(statements[1]), "\n".join(statements)


def _last_seat_taken_before_the_seat_update(batch):
    """An execute wrapper that, just before the seat UPDATE runs, fills `batch` as a concurrent
    request would have: the seat the request read as free is gone when it asks for it."""
    done = []

    def wrapper(execute, sql, params, many, context):
        if _SEAT.match(sql) and not done:
            done.append(True)
            table = connection.ops.quote_name(Batch._meta.db_table)
            execute(f"UPDATE {table} SET seats_taken = seat_count WHERE id = %s", [batch.pk], False, context)
        return execute(sql, params, many, context)

    return wrapper


@pytest.mark.django_db(transaction=True)
def test_a_seat_taken_meanwhile_is_refused_from_the_committed_cohort_without_the_lock():
    batch, learner = BatchFactory(seat_count=2, courses=[CourseFactory()]), UserFactory()
    with (
        connection.execute_wrapper(_last_seat_taken_before_the_seat_update(batch)),
        CaptureQueriesContext(connection) as captured,
        pytest.raises(CohortFull),
    ):
        enroll(batch=batch, member=learner, actor=learner, source=Source.PORTAL, notify=False)
    statements = _statements(captured)
    assert not any("FOR UPDATE" in sql.upper() or "FOR NO KEY UPDATE" in sql.upper() for sql in statements)
    assert not BatchEnrollment.objects.filter(batch=batch, member=learner).exists()


@pytest.mark.django_db(transaction=True)
def test_a_seat_taken_meanwhile_with_a_waitlist_waits_in_line_under_the_lock():
    batch = BatchFactory(seat_count=2, waitlist_enabled=True, courses=[CourseFactory()])
    learner = UserFactory()
    with connection.execute_wrapper(_last_seat_taken_before_the_seat_update(batch)):
        enrollment = enroll(batch=batch, member=learner, actor=learner, source=Source.PORTAL, notify=False)
    assert enrollment.status == EnrollmentStatus.WAITLISTED
