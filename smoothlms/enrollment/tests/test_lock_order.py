"""Lock order, from the SQL each path runs: the cohort rows are locked (PostgreSQL: FOR NO KEY
UPDATE; MariaDB: FOR UPDATE; SQLite: a transaction that holds the write lock from its first
statement) before anything is written, several cohorts in pk order. Each check can fail on every
database: the tests of the check itself below run a deliberately wrong order. Emails are off: their
delivery, after the commit, updates the enrollment's outbox fields, which needs no cohort lock."""

import pytest
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction

from smoothlms.catalog.tests.factories import BatchFactory
from smoothlms.core.testing import assert_locks_before_write
from smoothlms.csvio.enrollments import import_enrollments, read_enrollment_file
from smoothlms.enrollment.locks import lock_batches
from smoothlms.enrollment.models import BatchEnrollment, Source
from smoothlms.enrollment.services import (
    bulk_enroll,
    cancel_enrollment,
    cancel_own_enrollment,
    enroll,
    transfer_enrollment,
    update_batch,
)
from smoothlms.enrollment.services.seats import take_seats
from smoothlms.people.tests.factories import UserFactory, moderator

# On SQLite the check must see each transaction begin: no test-wide transaction around the test.
pytestmark = pytest.mark.django_db(transaction=True)

ENROLLMENTS = BatchEnrollment._meta.db_table


def locks_cohorts(*batches):
    return assert_locks_before_write("catalog_batch", write_table=ENROLLMENTS, pks=[b.pk for b in batches])


def seats_first(batch):
    """The single path reads first and locks the cohort with its seat UPDATE, before any other write."""
    return assert_locks_before_write("catalog_batch", write_table=ENROLLMENTS, pks=[batch.pk], seat_lock=True)


def test_enroll_locks_the_cohort_with_its_seat_before_writing():
    batch, learner = BatchFactory(seat_count=5), UserFactory()
    with seats_first(batch):
        enroll(batch=batch, member=learner, actor=learner, source=Source.PORTAL, notify=False)


def test_reactivating_a_cancelled_seat_locks_the_cohort_before_writing():
    batch, learner, mod = BatchFactory(seat_count=5), UserFactory(), moderator()
    enroll(batch=batch, member=learner, actor=mod, source=Source.DESK, notify=False)
    cancel_enrollment(batch=batch, member=learner, actor=mod)
    with seats_first(batch):
        enroll(batch=batch, member=learner.email, actor=mod, source=Source.DESK, notify=False)


def test_bulk_enroll_locks_the_cohort_before_writing_each_chunk():
    batch, mod = BatchFactory(seat_count=5), moderator()
    with locks_cohorts(batch):
        bulk_enroll(
            batch=batch,
            members=[UserFactory().email for _ in range(3)],
            actor=mod,
            source=Source.API,
            chunk_size=2,
            notify=False,
        )


def test_cancelling_locks_the_cohort_before_writing():
    batch, learner, mod = BatchFactory(seat_count=5), UserFactory(), moderator()
    enroll(batch=batch, member=learner, actor=mod, source=Source.DESK, notify=False)
    with locks_cohorts(batch):
        cancel_enrollment(batch=batch, member=learner, actor=mod)


def test_changing_the_seat_count_locks_the_cohort_before_writing():
    batch, mod = BatchFactory(seat_count=5), moderator()
    with assert_locks_before_write("catalog_batch", write_table="catalog_batch", pks=[batch.pk]):
        update_batch(batch=batch, actor=mod, seat_count=8)


def test_a_dry_run_import_locks_every_cohort_up_front_in_pk_order():
    first, second, third = (BatchFactory(name=name) for name in ("first", "second", "third"))
    people = [UserFactory(email=f"p{i}@example.com") for i in range(3)]
    # The file names the cohorts out of pk order; the dry run holds all three at once.
    data = read_enrollment_file(
        b"member,batch\n"
        + b"".join(f"{p.email},{b.name}\n".encode() for p, b in zip(people, (third, first, second), strict=True)),
        filename="rows.csv",
    )
    with locks_cohorts(first, second, third):
        report = import_enrollments(data, actor=None, dry_run=True)
    assert report.created == 3 and not BatchEnrollment.objects.exists()


# The check itself: a wrong order fails it, on every database ------------------------------------------


def write_enrollment(batch):
    BatchEnrollment.objects.create(batch=batch, member=UserFactory(), source=Source.DESK)


def test_the_check_fails_when_the_enrollment_is_written_before_the_lock():
    batch = BatchFactory()
    with pytest.raises(AssertionError, match="first locked after a write"):
        with locks_cohorts(batch), transaction.atomic():
            write_enrollment(batch)
            lock_batches(batch)


def test_the_seat_check_fails_when_the_enrollment_is_written_before_the_seat():
    batch = BatchFactory()
    with pytest.raises(AssertionError, match="first locked after a write|no row of catalog_batch was locked"):
        with seats_first(batch), transaction.atomic():
            write_enrollment(batch)
            take_seats(batch, 1)


def test_the_check_fails_when_cohorts_are_locked_out_of_pk_order():
    low, high = BatchFactory(), BatchFactory()
    with pytest.raises(AssertionError, match="not by pk"):
        with locks_cohorts(low, high), transaction.atomic():
            lock_batches(high)
            lock_batches(low)
            write_enrollment(low)


def test_the_check_fails_when_nothing_is_locked():
    batch = BatchFactory()
    with pytest.raises(AssertionError, match="was locked"):
        with locks_cohorts(batch), transaction.atomic():
            write_enrollment(batch)


def test_the_check_passes_for_locks_in_pk_order_before_the_write():
    low, high = BatchFactory(), BatchFactory()
    with locks_cohorts(low, high), transaction.atomic():
        lock_batches(high, low)
        write_enrollment(high)


def test_on_sqlite_a_deferred_transaction_that_reads_before_writing_fails_the_check():
    if connection.vendor != "sqlite":
        pytest.skip("transaction modes are SQLite's; the other databases lock rows")
    batch, learner = BatchFactory(seat_count=5), UserFactory()
    wrapper = connections[DEFAULT_DB_ALIAS]
    wrapper.ensure_connection()
    configured, wrapper.transaction_mode = wrapper.transaction_mode, "DEFERRED"  # what settings' IMMEDIATE prevents
    try:
        with pytest.raises(AssertionError, match="before it held SQLite's write lock"):
            with locks_cohorts(batch):
                enroll(batch=batch, member=learner, actor=learner, source=Source.PORTAL, notify=False)
    finally:
        wrapper.transaction_mode = configured


def test_transfer_locks_both_cohorts_in_pk_order_before_writing():
    first, second = BatchFactory(seat_count=5), BatchFactory(seat_count=5)
    learner, mod = UserFactory(), moderator()
    enroll(batch=second, member=learner, actor=mod, source=Source.DESK, notify=False)
    with locks_cohorts(first, second):  # from the higher pk to the lower: still locked lower first
        transfer_enrollment(batch=second, member=learner, to_batch=first, actor=mod, notify=False)


def test_self_cancel_locks_the_cohort_before_writing():
    # (A promotion runs inside the same transaction, under this lock; its email, after the commit,
    # would show here as an unlocked write of the outbox, so the waitlist is left out.)
    batch = BatchFactory(seat_count=1, waitlist_enabled=True, allow_self_cancel=True)
    seated = UserFactory()
    enroll(batch=batch, member=seated, actor=seated, source=Source.PORTAL, notify=False)
    with locks_cohorts(batch):
        cancel_own_enrollment(batch=batch, member=seated)
