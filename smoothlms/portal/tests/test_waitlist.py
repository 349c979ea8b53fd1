"""The portal's waitlist: join when full, the position, leaving, and My courses."""

import pytest

from smoothlms.catalog.models import Batch
from smoothlms.enrollment.models import BatchEnrollment, Source
from smoothlms.enrollment.services import enroll
from smoothlms.people.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def full(batch):
    Batch.objects.filter(pk=batch.pk).update(
        seat_count=1, waitlist_enabled=True, allow_self_cancel=True, allow_self_enrollment=True
    )
    batch.refresh_from_db()
    enroll(batch=batch, member=UserFactory(), actor=None, source=Source.DESK)
    return batch


def test_a_full_cohort_offers_the_waitlist_and_shows_the_position(signed_in, full, learner):
    page = signed_in.get(f"/lms/batches/{full.name}").content.decode()
    assert "Join the waitlist" in page and "Sold Out" in page
    response = signed_in.post(f"/lms/batches/{full.name}/enroll", follow=True)
    page = response.content.decode()
    assert "You are on the waitlist (position 1)." in page and "Leave the waitlist" in page
    assert BatchEnrollment.objects.get(batch=full, member=learner).status == "waitlisted"
    courses = signed_in.get("/lms/courses").content.decode()
    assert "you are on the waitlist (position 1)." in courses


def test_leaving_the_waitlist_and_a_refused_leave(signed_in, full, learner):
    signed_in.post(f"/lms/batches/{full.name}/enroll")
    page = signed_in.post(f"/lms/batches/{full.name}/leave", follow=True).content.decode()
    assert "You have left Python Basics." in page
    assert BatchEnrollment.objects.get(batch=full, member=learner).status == "cancelled"
    Batch.objects.filter(pk=full.pk).update(allow_self_cancel=False)
    page = signed_in.post(f"/lms/batches/{full.name}/leave", follow=True).content.decode()
    assert "You cannot cancel your enrollment in this cohort." in page
