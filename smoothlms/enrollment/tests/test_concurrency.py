"""Seats and uniqueness under real concurrency: each thread has its own connection and
transaction, on whichever database the suite runs (SQLite, PostgreSQL, MariaDB)."""

import pytest
from django.db import connection

from smoothlms.catalog.models import Batch
from smoothlms.catalog.tests.factories import BatchFactory, CourseFactory
from smoothlms.core.testing import run_in_threads
from smoothlms.enrollment.errors import AlreadyEnrolled, CohortFull
from smoothlms.enrollment.models import BatchEnrollment, CourseEnrollment, Source
from smoothlms.enrollment.services import bulk_enroll, enroll
from smoothlms.people.models import User
from smoothlms.people.tests.factories import UserFactory, moderator


def _attempt(batch_pk: int, outcomes: list, **kwargs):
    def attempt(learner: User) -> None:
        try:
            batch = Batch.objects.get(pk=batch_pk)
            enroll(batch=batch, member=learner, actor=learner, source=Source.PORTAL, **kwargs)
            outcomes.append("enrolled")
        except CohortFull:
            outcomes.append("full")
        except AlreadyEnrolled:
            outcomes.append("already")
        finally:
            connection.close()

    return attempt


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


@pytest.mark.django_db(transaction=True)
def test_bulk_and_single_enrollments_racing_never_oversell():
    batch = BatchFactory(seat_count=10)
    mod = moderator()
    singles = [UserFactory() for _ in range(8)]
    bulk_members = [UserFactory().email for _ in range(8)]
    outcomes: list[str] = []
    single = _attempt(batch.pk, outcomes)

    def work(item):
        if item == "bulk":
            try:
                result = bulk_enroll(
                    batch=Batch.objects.get(pk=batch.pk), members=bulk_members, actor=mod, source=Source.API
                )
                outcomes.extend("enrolled" if r.status == "created" else "full" for r in result.results)
            finally:
                connection.close()
        else:
            single(item)

    run_in_threads(work, ["bulk", *singles])
    batch.refresh_from_db()
    assert outcomes.count("enrolled") == 10 and outcomes.count("full") == 6
    assert batch.seats_taken == 10 == BatchEnrollment.objects.filter(batch=batch, status="active").count()
