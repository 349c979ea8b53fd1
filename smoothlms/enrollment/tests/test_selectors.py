"""Reads: each list selector answers in a fixed number of queries, however many rows there are."""

import pytest

from smoothlms.catalog.selectors import get_batch, list_batches_visible_to
from smoothlms.catalog.tests.factories import BatchFactory, CourseFactory, LiveClassFactory
from smoothlms.enrollment.errors import BatchNotFound
from smoothlms.enrollment.models import Source
from smoothlms.enrollment.selectors import (
    get_batch_for,
    list_batches_for,
    list_member_courses,
    list_member_enrollments,
    list_member_live_classes,
    list_roster,
)
from smoothlms.enrollment.services import bulk_enroll, cancel_enrollment, enroll
from smoothlms.people.roles import Role
from smoothlms.people.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def make_world(learner, cohorts: int):
    for _ in range(cohorts):
        batch = BatchFactory(courses=[CourseFactory(), CourseFactory()], seat_count=None)
        LiveClassFactory(batch=batch)
        enroll(batch=batch, member=learner, actor=None, source=Source.DESK, notify=False)
        bulk_enroll(
            batch=batch, members=[UserFactory().email for _ in range(3)], actor=None, source=Source.DESK, notify=False
        )


@pytest.mark.parametrize("cohorts", [1, 6])
def test_list_selectors_use_a_fixed_number_of_queries(django_assert_num_queries, cohorts):
    learner = UserFactory()
    make_world(learner, cohorts)
    batch = list_batches_visible_to(learner).first()
    with django_assert_num_queries(2):  # cohorts, then their courses (prefetch)
        rows = [
            (b.name, b.is_enrolled, b.seats_left_value, [bc.course.name for bc in b.batch_courses.all()])
            for b in list_batches_for(user=learner)
        ]
    assert len(rows) == cohorts and all(is_enrolled for _, is_enrolled, _, _ in rows)
    with django_assert_num_queries(1):
        assert len([(e.member.email, e.batch.name) for e in list_roster(batch=batch)]) == 4
    with django_assert_num_queries(1):
        assert len([e.batch.title for e in list_member_enrollments(member=learner)]) == cohorts
    with django_assert_num_queries(1):
        assert (
            len([(c.course.title, c.enrollment_from_batch.name) for c in list_member_courses(member=learner)])
            == 2 * cohorts
        )
    with django_assert_num_queries(1):
        assert len([lc.batch.title for lc in list_member_live_classes(member=learner)]) == cohorts


def test_students_see_published_cohorts_only_and_unpublished_ones_do_not_exist_for_them():
    student, staff = UserFactory(), UserFactory(roles=[Role.BATCH_EVALUATOR])
    hidden = BatchFactory(published=False)
    BatchFactory()
    assert list_batches_visible_to(student).count() == 1 and list_batches_visible_to(staff).count() == 2
    with pytest.raises(BatchNotFound) as err:
        get_batch(name=hidden.name, visible_to=student)
    assert err.value.user_message() == f"No cohort named {hidden.name}."
    assert get_batch(name=hidden.name, visible_to=staff) == hidden


def test_roster_filters_by_status():
    batch, learner = BatchFactory(), UserFactory()
    enroll(batch=batch, member=learner, actor=None, source=Source.DESK, notify=False)
    cancel_enrollment(batch=batch, member=learner, actor=None)
    assert list_roster(batch=batch).count() == 0
    assert list_roster(batch=batch, status="cancelled").count() == 1 == list_roster(batch=batch, status="all").count()


def test_is_enrolled_follows_the_users_active_seat():
    learner, other = UserFactory(), UserFactory()
    batch = BatchFactory()
    enroll(batch=batch, member=learner, actor=None, source=Source.DESK, notify=False)
    assert get_batch_for(name=batch.name, user=learner).is_enrolled is True
    assert get_batch_for(name=batch.name, user=other).is_enrolled is False
    assert get_batch_for(name=batch.name, user=None).is_enrolled is False
    cancel_enrollment(batch=batch, member=learner, actor=None)
    assert [b.is_enrolled for b in list_batches_for(user=learner)] == [False]
    hidden = BatchFactory(published=False)
    with pytest.raises(BatchNotFound):
        get_batch_for(name=hidden.name, user=learner)
