"""The waitlist under real concurrency: each thread has its own connection and transaction, on
whichever database the suite runs (SQLite, PostgreSQL, MariaDB)."""

import threading

import pytest
from django.db import connection

from smoothlms.catalog.models import Batch
from smoothlms.catalog.tests.factories import BatchFactory, CourseFactory
from smoothlms.core.testing import run_in_threads
from smoothlms.enrollment.models import BatchEnrollment, CourseEnrollment, Source
from smoothlms.enrollment.selectors import list_waitlist
from smoothlms.enrollment.services import cancel_enrollment, enroll
from smoothlms.people.tests.factories import UserFactory

RACERS, SEATS = 100, 10
# PostgreSQL here allows 100 connections, shared with other test runs: at most this many racers hold
# one at a time (they still race: the lock, not the start, decides the order).
CONNECTIONS = threading.BoundedSemaphore(30)


def _enroll(batch_pk: int):
    def attempt(learner) -> None:
        try:
            with CONNECTIONS:
                enroll(batch=Batch.objects.get(pk=batch_pk), member=learner, actor=learner, source=Source.PORTAL)
        finally:
            connection.close()

    return attempt


def _active(batch) -> set[int]:
    return set(BatchEnrollment.objects.filter(batch=batch, status="active").values_list("member_id", flat=True))


@pytest.mark.django_db(transaction=True)
def test_racers_fill_the_seats_then_the_waitlist_and_freed_seats_go_first_come():
    batch = BatchFactory(seat_count=SEATS, waitlist_enabled=True, courses=[CourseFactory()])
    learners = [UserFactory() for _ in range(RACERS)]
    run_in_threads(_enroll(batch.pk), learners)
    batch.refresh_from_db()
    waitlist = list(list_waitlist(batch=batch))
    assert batch.seats_taken == SEATS == len(_active(batch))
    assert [row.waitlist_position for row in waitlist] == list(range(1, RACERS - SEATS + 1))
    assert CourseEnrollment.objects.count() == SEATS

    seated = sorted(_active(batch))
    first_waiting = {row.member_id for row in waitlist[:SEATS]}
    newcomers = [UserFactory() for _ in range(SEATS)]

    def work(item) -> None:
        kind, who = item
        try:
            with CONNECTIONS:
                if kind == "cancel":
                    cancel_enrollment(batch=Batch.objects.get(pk=batch.pk), member=who.email, actor=None)
                else:
                    enroll(batch=Batch.objects.get(pk=batch.pk), member=who, actor=who, source=Source.PORTAL)
        finally:
            connection.close()

    cancelling = [
        ("cancel", row.member) for row in BatchEnrollment.objects.filter(member_id__in=seated).select_related("member")
    ]
    run_in_threads(work, cancelling + [("enroll", who) for who in newcomers])
    batch.refresh_from_db()
    assert batch.seats_taken == SEATS and _active(batch) == first_waiting
    waitlist = list(list_waitlist(batch=batch))
    assert [row.waitlist_position for row in waitlist] == list(range(1, RACERS - SEATS + 1))
    assert {row.member_id for row in waitlist[-SEATS:]} == {who.pk for who in newcomers}
    assert CourseEnrollment.objects.filter(status="active").count() == SEATS
