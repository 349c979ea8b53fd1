"""Property: any sequence of enroll, cancel, re-enroll, bulk enroll and seat changes keeps the
invariants — active enrollments never exceed seat_count and equal seats_taken, one row per
member, and every active member has a course enrollment for each cohort course."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smoothlms.catalog.models import Batch
from smoothlms.catalog.tests.factories import BatchFactory, CourseFactory
from smoothlms.core.errors import DomainError
from smoothlms.enrollment.models import BatchEnrollment, CourseEnrollment, EnrollmentStatus, Source
from smoothlms.enrollment.services import bulk_enroll, cancel_enrollment, enroll, update_batch
from smoothlms.people.tests.factories import UserFactory, moderator

MEMBERS = 5
operation = st.one_of(
    st.tuples(st.just("enroll"), st.integers(0, MEMBERS - 1)),
    st.tuples(st.just("cancel"), st.integers(0, MEMBERS - 1)),
    st.tuples(st.just("bulk"), st.lists(st.integers(0, MEMBERS - 1), max_size=6)),
    st.tuples(st.just("seats"), st.one_of(st.none(), st.integers(0, MEMBERS))),
)


def assert_invariants(batch: Batch, course_ids: list[int]) -> None:
    batch.refresh_from_db()
    active = list(
        BatchEnrollment.objects.filter(batch=batch, status=EnrollmentStatus.ACTIVE).values_list("member_id", flat=True)
    )
    assert len(active) == len(set(active)) == batch.seats_taken
    assert batch.seat_count is None or batch.seats_taken <= batch.seat_count
    for member_id in active:
        have = set(CourseEnrollment.objects.filter(member_id=member_id).values_list("course_id", flat=True))
        assert set(course_ids) <= have


@pytest.mark.django_db
@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(seat_count=st.one_of(st.none(), st.integers(0, MEMBERS)), operations=st.lists(operation, max_size=12))
def test_any_sequence_of_operations_keeps_the_invariants(seat_count, operations):
    courses = [CourseFactory(), CourseFactory()]
    batch = BatchFactory(seat_count=seat_count, courses=courses)
    course_ids = [c.pk for c in courses]
    mod = moderator()
    members = [UserFactory() for _ in range(MEMBERS)]
    for kind, arg in operations:
        try:
            if kind == "enroll":
                enroll(batch=batch, member=members[arg], actor=mod, source=Source.DESK)
            elif kind == "cancel":
                cancel_enrollment(batch=batch, member=members[arg], actor=mod)
            elif kind == "bulk":
                bulk_enroll(batch=batch, members=[members[i].email for i in arg], actor=mod, source=Source.API)
            else:
                update_batch(batch=batch, seat_count=arg, actor=mod)
        except DomainError:
            pass  # a refusal is a legal outcome; the invariants must hold either way
        assert_invariants(batch, course_ids)
