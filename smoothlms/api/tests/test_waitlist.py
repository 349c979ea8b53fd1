"""The waitlist, self-cancelling and disabling a user over the API (CONTRACT.md sections 14 and 15)."""

import datetime as dt

import pytest
from django.utils import timezone

from smoothlms.api.tests.conftest import error_of
from smoothlms.catalog.models import Batch
from smoothlms.catalog.tests.factories import BatchFactory
from smoothlms.enrollment.models import BatchEnrollment, CourseEnrollment, Source
from smoothlms.enrollment.services import enroll
from smoothlms.people.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def full(courses):
    batch = BatchFactory(
        courses=courses, seat_count=1, waitlist_enabled=True, allow_self_cancel=True, allow_self_enrollment=True
    )
    enroll(batch=batch, member=UserFactory(), actor=None, source=Source.DESK)
    return batch


def test_self_enrolling_into_a_full_cohort_answers_201_waitlisted_with_its_position(api, full, student):
    response = api(student).post(f"/batches/{full.name}/enroll")
    assert response.status_code == 201, response.json()
    data = response.json()["data"]
    assert (data["status"], data["waitlist_position"]) == ("waitlisted", 1)
    batch = api(student).get(f"/batches/{full.name}").json()["data"]
    assert (
        batch["waitlist_enabled"],
        batch["allow_self_cancel"],
        batch["waitlist_count"],
        batch["waitlist_position"],
        batch["seats_taken"],
    ) == (True, True, 1, 1, 1)


def test_moderator_bulk_reports_waitlisted(api, moderator, full):
    members = [UserFactory().email for _ in range(2)]
    body = api(moderator).post(f"/batches/{full.name}/enrollments/bulk", {"members": members}).json()["data"]
    assert [r["status"] for r in body["results"]] == ["waitlisted", "waitlisted"]
    assert (body["created"], body["waitlisted"], body["failed"]) == (0, 2, 0)
    roster = api(moderator).get(f"/batches/{full.name}/enrollments", status="waitlisted").json()["data"]
    assert [(r["member"], r["waitlist_position"]) for r in roster] == [(members[0], 1), (members[1], 2)]


def test_leaving_a_cohort_answers_204_and_seats_the_first_waitlisted(api, full, student):
    waiting = UserFactory()
    api(waiting).post(f"/batches/{full.name}/enroll")
    seated = BatchEnrollment.objects.get(batch=full, status="active").member
    response = api(seated).delete(f"/me/enrollments/{full.name}")
    assert response.status_code == 204
    assert BatchEnrollment.objects.get(batch=full, member=waiting).status == "active"
    assert set(CourseEnrollment.objects.filter(member=seated).values_list("status", flat=True)) == {"cancelled"}


def test_leaving_a_started_or_closed_cohort_is_refused(api, full):
    seated = BatchEnrollment.objects.get(batch=full, status="active").member
    Batch.objects.filter(pk=full.pk).update(allow_self_cancel=False)
    assert error_of(api(seated).delete(f"/me/enrollments/{full.name}"))[:2] == (403, "self_cancel_closed")
    Batch.objects.filter(pk=full.pk).update(
        allow_self_cancel=True, start_date=timezone.localdate() - dt.timedelta(days=1)
    )
    assert error_of(api(seated).delete(f"/me/enrollments/{full.name}"))[:2] == (409, "cohort_started")
    assert BatchEnrollment.objects.get(batch=full, member=seated).status == "active"


def test_disabling_a_user_over_the_api_frees_their_seat_for_the_waitlist(api, system_manager, full):
    waiting = UserFactory()
    api(waiting).post(f"/batches/{full.name}/enroll")
    seated = BatchEnrollment.objects.get(batch=full, status="active").member
    response = api(system_manager).patch(f"/users/{seated.email}", {"enabled": False})
    assert response.status_code == 200, response.json()
    assert BatchEnrollment.objects.get(batch=full, member=seated).status == "cancelled"
    assert BatchEnrollment.objects.get(batch=full, member=waiting).status == "active"


def test_moderator_turns_the_waitlist_on_over_the_api(api, moderator, batch):
    response = api(moderator).patch(f"/batches/{batch.name}", {"waitlist_enabled": True, "allow_self_cancel": True})
    assert response.status_code == 200
    assert (response.json()["data"]["waitlist_enabled"], response.json()["data"]["waitlist_count"]) == (True, 0)


def test_transfer_and_its_refusal_over_the_api(api, moderator, full, courses):
    seated = BatchEnrollment.objects.get(batch=full, status="active").member
    target = BatchFactory(courses=courses, seat_count=1)
    path = f"/batches/{full.name}/enrollments/{seated.email}/transfer"
    tiny = BatchFactory(seat_count=0)
    assert error_of(api(moderator).post(path, {"to_batch": tiny.name}))[:2] == (409, "cohort_full")
    assert BatchEnrollment.objects.get(batch=full, member=seated).status == "active"
    response = api(moderator).post(path, {"to_batch": target.name, "reason": "May run"})
    assert response.status_code == 200, response.json()
    assert (response.json()["data"]["batch"], response.json()["data"]["status"]) == (target.name, "active")
    assert error_of(api(UserFactory()).post(path, {"to_batch": target.name}))[0] == 403


def test_replace_over_the_api(api, moderator, full):
    seated = BatchEnrollment.objects.get(batch=full, status="active").member
    colleague = UserFactory()
    response = api(moderator).post(
        f"/batches/{full.name}/enrollments/{seated.email}/replace", {"member": colleague.email, "reason": "on leave"}
    )
    assert response.status_code == 200, response.json()
    assert response.json()["data"]["member"] == colleague.email
    assert error_of(
        api(moderator).post(f"/batches/{full.name}/enrollments/{seated.email}/replace", {"member": colleague.email})
    )[:2] == (404, "not_enrolled")


def test_duplicate_over_the_api(api, moderator, full):
    start = (full.start_date + dt.timedelta(days=7)).isoformat()
    response = api(moderator).post(f"/batches/{full.name}/duplicate", {"title": "Second run", "start_date": start})
    assert response.status_code == 201, response.json()
    data = response.json()["data"]
    assert (data["published"], data["start_date"], data["waitlist_enabled"], data["courses"]) == (
        False,
        start,
        True,
        [link.course.name for link in full.batch_courses.order_by("position")],
    )
    assert error_of(api(UserFactory()).post(f"/batches/{full.name}/duplicate", {"title": "X", "start_date": start}))[
        0
    ] in (403, 404)
