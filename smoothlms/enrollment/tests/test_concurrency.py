"""Seats and uniqueness under real concurrency: each thread has its own connection and
transaction, on whichever database the suite runs (SQLite, PostgreSQL, MariaDB)."""

import pytest
from django.db import connection

from smoothlms.catalog.models import Batch
from smoothlms.catalog.tests.factories import BatchFactory, CourseFactory
from smoothlms.core.models import EnrollmentEvent, EventType
from smoothlms.core.testing import run_in_threads
from smoothlms.enrollment.errors import AlreadyEnrolled, CohortFull
from smoothlms.enrollment.models import BatchEnrollment, CourseEnrollment, Source
from smoothlms.enrollment.services import bulk_enroll, enroll, enroll_self
from smoothlms.people.models import User
from smoothlms.people.tests.factories import UserFactory, moderator


def _recorded(outcomes: list, enroll_one):
    """`enroll_one(learner)` in a thread of its own, its outcome appended to `outcomes`."""

    def attempt(learner: User) -> None:
        try:
            enroll_one(learner)
            outcomes.append("enrolled")
        except CohortFull:
            outcomes.append("full")
        except AlreadyEnrolled:
            outcomes.append("already")
        finally:
            connection.close()

    return attempt


def _attempt(batch_pk: int, outcomes: list, **kwargs):
    return _recorded(
        outcomes,
        lambda learner: enroll(
            batch=Batch.objects.get(pk=batch_pk), member=learner, actor=learner, source=Source.PORTAL, **kwargs
        ),
    )


@pytest.mark.django_db(transaction=True)
def test_thirty_learners_race_for_five_seats():
    batch = BatchFactory(seat_count=5, courses=[CourseFactory()])
    learners = [UserFactory() for _ in range(30)]
    outcomes: list[str] = []
    run_in_threads(_attempt(batch.pk, outcomes), learners)
    batch.refresh_from_db()
    assert sorted(outcomes).count("enrolled") == 5 and outcomes.count("full") == 25 and len(outcomes) == 30
    assert batch.seats_taken == 5 == BatchEnrollment.objects.filter(batch=batch, status="active").count()
    assert CourseEnrollment.objects.count() == 5


@pytest.mark.django_db(transaction=True)
def test_two_racing_enrollments_of_the_same_learner_create_one():
    batch = BatchFactory(seat_count=5)
    learner = UserFactory()
    outcomes: list[str] = []
    run_in_threads(_attempt(batch.pk, outcomes), [learner, learner])
    batch.refresh_from_db()
    assert sorted(outcomes) == ["already", "enrolled"]
    assert batch.seats_taken == 1 == BatchEnrollment.objects.filter(batch=batch).count()


def _beside_a_bulk(batch: Batch, members: list[str], mod: User, outcomes: list, *, single):
    """A thread's work: "bulk" enrolls `members` in one bulk_enroll, any other item is a learner's `single`."""

    def work(item):
        if item != "bulk":
            return single(item)
        try:
            result = bulk_enroll(batch=Batch.objects.get(pk=batch.pk), members=members, actor=mod, source=Source.API)
            outcomes.extend("enrolled" if r.status == "created" else "full" for r in result.results)
        finally:
            connection.close()

    return work


@pytest.mark.django_db(transaction=True)
def test_bulk_and_single_enrollments_racing_never_oversell():
    batch = BatchFactory(seat_count=10)
    mod = moderator()
    singles = [UserFactory() for _ in range(8)]
    bulk_members = [UserFactory().email for _ in range(8)]
    outcomes: list[str] = []
    work = _beside_a_bulk(batch, bulk_members, mod, outcomes, single=_attempt(batch.pk, outcomes))
    run_in_threads(work, ["bulk", *singles])
    batch.refresh_from_db()
    assert outcomes.count("enrolled") == 10 and outcomes.count("full") == 6
    assert batch.seats_taken == 10 == BatchEnrollment.objects.filter(batch=batch, status="active").count()


def _attempt_self(batch_name: str, outcomes: list):
    """`enroll_self`, the API's path (its seat in one statement on PostgreSQL)."""
    return _recorded(outcomes, lambda learner: enroll_self(batch_name=batch_name, member=learner, source=Source.API))


@pytest.mark.django_db(transaction=True)
def test_thirty_self_enrollments_race_for_five_seats():
    batch = BatchFactory(seat_count=5, courses=[CourseFactory(), CourseFactory()])
    outcomes: list[str] = []
    run_in_threads(_attempt_self(batch.name, outcomes), [UserFactory() for _ in range(30)])
    batch.refresh_from_db()
    assert outcomes.count("enrolled") == 5 and outcomes.count("full") == 25
    assert batch.seats_taken == 5 == BatchEnrollment.objects.filter(batch=batch, status="active").count()
    assert CourseEnrollment.objects.filter(enrollment_from_batch=batch).count() == 10
    assert EnrollmentEvent.objects.filter(batch=batch, kind=EventType.ENROLLED).count() == 5


@pytest.mark.django_db(transaction=True)
def test_two_racing_self_enrollments_of_the_same_learner_take_one_seat():
    batch, learner = BatchFactory(seat_count=5, courses=[CourseFactory()]), UserFactory()
    outcomes: list[str] = []
    run_in_threads(_attempt_self(batch.name, outcomes), [learner, learner])
    batch.refresh_from_db()
    assert sorted(outcomes) == ["already", "enrolled"]
    assert batch.seats_taken == 1 == BatchEnrollment.objects.filter(batch=batch).count()
    assert CourseEnrollment.objects.filter(member=learner).count() == 1
    assert EnrollmentEvent.objects.filter(batch=batch, kind=EventType.ENROLLED).count() == 1


@pytest.mark.django_db(transaction=True)
def test_bulk_and_self_enrollments_racing_never_oversell_nor_deadlock():
    batch, mod = BatchFactory(seat_count=10, courses=[CourseFactory()]), moderator()
    bulk_members = [UserFactory() for _ in range(8)]
    singles = [*bulk_members[:4], *(UserFactory() for _ in range(6))]  # 4 of them in the bulk too
    outcomes: list[str] = []
    emails = [member.email for member in bulk_members]
    work = _beside_a_bulk(batch, emails, mod, outcomes, single=_attempt_self(batch.name, outcomes))
    run_in_threads(work, ["bulk", *singles])
    batch.refresh_from_db()
    active = BatchEnrollment.objects.filter(batch=batch, status="active")
    assert batch.seats_taken == active.count() <= 10
    assert active.count() == 10  # 14 different members asked for 10 seats: every seat went
    assert outcomes.count("enrolled") == 10  # each seat answered once
    assert CourseEnrollment.objects.filter(enrollment_from_batch=batch).count() == 10
