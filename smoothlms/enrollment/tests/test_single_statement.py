"""The seat in one statement (enrollment.services.single_statement, PostgreSQL): it writes the rows
the step-by-step path writes, locks the cohort's row first, runs as its own transaction, and writes
nothing when the seat is not taken. Its races are in test_concurrency.py, on every database."""

import pytest
from django.db import IntegrityError, connection

from smoothlms.catalog.models import Batch
from smoothlms.catalog.tests.factories import BatchFactory, CourseFactory
from smoothlms.core.audit import event_fields
from smoothlms.core.models import EnrollmentEvent, EventType
from smoothlms.enrollment.errors import AlreadyEnrolled, CohortFull
from smoothlms.enrollment.models import BatchEnrollment, CourseEnrollment, EnrollmentStatus, Source
from smoothlms.enrollment.services import enroll, enroll_self
from smoothlms.enrollment.services.seats import seat_fields
from smoothlms.enrollment.services.single_statement import can_seat_in_one_statement, seat_in_one_statement
from smoothlms.people.tests.factories import UserFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="data-modifying WITH queries: PostgreSQL only"),
]

# What differs between two members' rows of the same kind, whichever path wrote them.
_OWN = {"id", "member_id", "created_by_id", "actor_id", "actor_email", "enrollment_id", "created_at", "updated_at"}


def _row(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields if f.attname not in _OWN}


def _written(batch: Batch, member) -> tuple[dict, list[dict], list[dict]]:
    enrollment = BatchEnrollment.objects.get(batch=batch, member=member)
    courses = [_row(c) for c in CourseEnrollment.objects.filter(member=member).order_by("course_id")]
    events = [_row(e) for e in EnrollmentEvent.objects.filter(enrollment=enrollment).order_by("id")]
    assert all(e.actor_id == member.pk for e in EnrollmentEvent.objects.filter(enrollment=enrollment))
    return _row(enrollment), courses, events


def _unsaved(batch: Batch, member) -> tuple[BatchEnrollment, EnrollmentEvent]:
    fields = seat_fields(actor=member, source=Source.API, override_reason="", notify=False)
    event = EnrollmentEvent(
        **event_fields(EventType.ENROLLED, actor=member, batch=batch, member=member, source=Source.API)
    )
    return BatchEnrollment(batch=batch, member=member, **fields), event


def test_it_is_the_path_of_self_enrollment_on_postgresql():
    assert can_seat_in_one_statement()


def test_it_writes_the_rows_the_step_by_step_path_writes():
    batch = BatchFactory(seat_count=5, courses=[CourseFactory(), CourseFactory()])
    at_once, step_by_step = UserFactory(), UserFactory()
    seated = enroll_self(batch_name=batch.name, member=at_once, source=Source.API)
    stepped = enroll(batch=batch, member=step_by_step, actor=step_by_step, source=Source.API)
    assert _written(batch, at_once) == _written(batch, step_by_step)
    assert _row(seated) == _row(stepped)  # each returns its row as inserted (the email went after)
    assert seated.batch is not None and seated.member == at_once  # loaded: the API renders them
    batch.refresh_from_db()
    assert batch.seats_taken == 2


def test_it_runs_as_its_own_transaction_the_seat_first():
    batch, learner = BatchFactory(seat_count=5, courses=[CourseFactory()]), UserFactory()
    seen = []  # (statement, whether a transaction block was open, autocommit)

    def watch(execute, sql, params, many, context):
        seen.append((sql, connection.in_atomic_block, connection.get_autocommit()))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(watch):
        enroll_self(batch_name=batch.name, member=learner, source=Source.API)
    writes = [entry for entry in seen if not entry[0].lstrip().upper().startswith("SELECT")]
    sql, in_block, autocommit = next(entry for entry in writes if entry[0].startswith("WITH seat AS"))
    assert (in_block, autocommit) == (False, True)
    # Each write draws its rows from the one before: the cohort's row is locked before any insert.
    assert sql.startswith('WITH seat AS (UPDATE "catalog_batch"')
    assert "FROM seat RETURNING" in sql and "CROSS JOIN enrolled m" in sql and "FROM enrolled)" in sql
    assert writes[0][0] == sql  # nothing written before it


def test_a_full_cohort_writes_nothing():
    batch, learner = BatchFactory(seat_count=1, courses=[CourseFactory()]), UserFactory()
    Batch.objects.filter(pk=batch.pk).update(seats_taken=1)
    enrollment, event = _unsaved(batch, learner)
    assert seat_in_one_statement(batch, enrollment, event, unchanged_since=batch.updated_at) is None
    assert not BatchEnrollment.objects.filter(batch=batch).exists()
    assert not CourseEnrollment.objects.exists() and not EnrollmentEvent.objects.filter(batch=batch).exists()


def test_a_cohort_edited_since_its_read_writes_nothing():
    batch, learner = BatchFactory(seat_count=5, courses=[CourseFactory()]), UserFactory()
    read_at = batch.updated_at
    batch.save()  # an edit after the rules read the cohort
    enrollment, event = _unsaved(batch, learner)
    assert seat_in_one_statement(batch, enrollment, event, unchanged_since=read_at) is None
    batch.refresh_from_db()
    assert batch.seats_taken == 0 and not BatchEnrollment.objects.filter(batch=batch).exists()


def test_a_member_enrolled_meanwhile_undoes_the_whole_statement():
    batch, learner = BatchFactory(seat_count=5, courses=[CourseFactory()]), UserFactory()
    enroll(batch=batch, member=learner, actor=learner, source=Source.PORTAL, notify=False)
    batch.refresh_from_db()
    enrollment, event = _unsaved(batch, learner)
    with pytest.raises(IntegrityError):
        seat_in_one_statement(batch, enrollment, event, unchanged_since=batch.updated_at)
    batch.refresh_from_db()
    assert batch.seats_taken == 1  # the seat taken by the statement was undone with it
    assert EnrollmentEvent.objects.filter(batch=batch, kind=EventType.ENROLLED).count() == 1


def test_self_enrollment_answers_already_enrolled_from_the_constraint():
    batch, learner = BatchFactory(seat_count=5), UserFactory()
    done = []

    def enrolled_just_before(execute, sql, params, many, context):
        if sql.startswith("WITH seat AS") and not done:  # a concurrent request of the same member wins
            done.append(True)
            enroll(batch=batch, member=learner, actor=learner, source=Source.PORTAL, notify=False)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(enrolled_just_before), pytest.raises(AlreadyEnrolled):
        enroll_self(batch_name=batch.name, member=learner, source=Source.API)
    batch.refresh_from_db()
    assert done and batch.seats_taken == 1 == BatchEnrollment.objects.filter(batch=batch).count()


def _seat_taken_just_before(batch: Batch, seen: list[str]):
    """An execute wrapper recording each statement in `seen` that, just before the one statement
    runs, fills `batch` as a concurrent request would have."""

    def wrapper(execute, sql, params, many, context):
        seen.append(sql)
        if sql.startswith("WITH seat AS") and "UPDATE (the concurrent request)" not in seen:
            table = connection.ops.quote_name(Batch._meta.db_table)
            execute(f"UPDATE {table} SET seats_taken = seat_count WHERE id = %s", [batch.pk], False, context)
            seen.append("UPDATE (the concurrent request)")
        return execute(sql, params, many, context)

    return wrapper


def test_a_seat_taken_meanwhile_is_refused_without_the_lock_or_a_second_seat_update():
    batch, learner = BatchFactory(seat_count=2, courses=[CourseFactory()]), UserFactory()
    seen: list[str] = []
    with connection.execute_wrapper(_seat_taken_just_before(batch, seen)), pytest.raises(CohortFull):
        enroll_self(batch_name=batch.name, member=learner, source=Source.API)
    assert not any("FOR UPDATE" in sql.upper() or "FOR NO KEY UPDATE" in sql.upper() for sql in seen)
    assert [sql for sql in seen if sql.startswith("UPDATE")] == ["UPDATE (the concurrent request)"]
    assert not BatchEnrollment.objects.filter(batch=batch, member=learner).exists()


def test_a_seat_taken_meanwhile_with_a_waitlist_waits_in_line():
    batch = BatchFactory(seat_count=2, waitlist_enabled=True, courses=[CourseFactory()])
    learner = UserFactory()
    seen: list[str] = []
    with connection.execute_wrapper(_seat_taken_just_before(batch, seen)):
        enrollment = enroll_self(batch_name=batch.name, member=learner, source=Source.API)
    assert enrollment.status == EnrollmentStatus.WAITLISTED
    assert not CourseEnrollment.objects.filter(member=learner).exists()
