"""Cohorts over the API: list with filters and pagination, read, create, change, self-enroll."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from smoothlms.api.tests.conftest import error_of
from smoothlms.catalog.models import Batch
from smoothlms.catalog.tests.factories import BatchFactory, CourseFactory
from smoothlms.core.models import EnrollmentEvent
from smoothlms.enrollment.models import BatchEnrollment, Payment, PaymentStatus
from smoothlms.enrollment.services import enroll, record_payment
from smoothlms.people.roles import Role
from smoothlms.people.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

BATCH_FIELDS = [
    "name",
    "title",
    "description",
    "start_date",
    "start_time",
    "end_date",
    "end_time",
    "timezone",
    "starts_at",
    "ends_at",
    "seat_count",
    "seats_taken",
    "seats_left",
    "allow_self_enrollment",
    "published",
    "paid_batch",
    "amount",
    "currency",
    "courses",
    "is_enrolled",
    "waitlist_enabled",
    "allow_self_cancel",
    "waitlist_count",
    "waitlist_position",
    "certification",
]
ENROLLMENT_FIELDS = [
    "name",
    "batch",
    "member",
    "member_name",
    "member_type",
    "status",
    "source",
    "confirmation_email_sent",
    "created_at",
    "waitlist_position",
]


def new_batch(**overrides):
    body = {
        "title": "Python 101",
        "start_date": "2031-03-02",
        "start_time": "09:30",
        "end_date": "2031-03-20",
        "end_time": "17:00",
        "timezone": "Asia/Kolkata",
    }
    return {**body, **overrides}


# Reading -----------------------------------------------------------------------------------


def test_batch_has_exactly_the_contract_fields_with_instants_in_the_cohorts_zone(api, student, batch, courses):
    Batch.objects.filter(pk=batch.pk).update(
        start_date=dt.date(2031, 7, 1), end_date=dt.date(2031, 7, 2), start_time=dt.time(9), end_time=dt.time(17, 30)
    )
    response = api(student).get(f"/batches/{batch.name}")
    assert response.status_code == 200
    data = response.json()["data"]
    assert list(data) == BATCH_FIELDS
    assert data["starts_at"] == "2031-07-01T09:00:00+02:00"  # Europe/Berlin in summer
    assert data["ends_at"] == "2031-07-02T17:30:00+02:00"
    assert (data["start_date"], data["start_time"], data["timezone"]) == ("2031-07-01", "09:00:00", "Europe/Berlin")
    assert (data["seat_count"], data["seats_taken"], data["seats_left"]) == (3, 0, 3)
    assert data["courses"] == [course.name for course in courses]
    assert data["is_enrolled"] is False and data["amount"] is None and data["currency"] is None


def test_is_enrolled_and_seats_follow_the_callers_enrollment(api, student, batch):
    enroll(batch=batch, member=student, actor=student, source="portal")
    data = api(student).get(f"/batches/{batch.name}").json()["data"]
    assert (data["is_enrolled"], data["seats_taken"], data["seats_left"]) == (True, 1, 2)


def test_unlimited_cohort_has_null_seats_left(api, student):
    batch = BatchFactory(seat_count=None)
    data = api(student).get(f"/batches/{batch.name}").json()["data"]
    assert (data["seat_count"], data["seats_left"]) == (None, None)


def test_students_see_published_cohorts_and_staff_see_all(api, student, moderator):
    published, hidden = BatchFactory(), BatchFactory(published=False)
    as_student = api(student).get("/batches").json()
    assert [b["name"] for b in as_student["data"]] == [published.name] and as_student["count"] == 1
    as_moderator = api(moderator).get("/batches").json()
    assert {b["name"] for b in as_moderator["data"]} == {published.name, hidden.name}


def test_unpublished_cohort_is_not_found_for_students(api, student):
    hidden = BatchFactory(published=False)
    assert error_of(api(student).get(f"/batches/{hidden.name}")) == (
        404,
        "not_found",
        f"No cohort named {hidden.name}.",
    )


def test_unknown_cohort_is_not_found(api, student):
    assert error_of(api(student).get("/batches/nope")) == (404, "not_found", "No cohort named nope.")


def test_list_filters_by_published_and_start_date_range(api, moderator):
    today = timezone.localdate()
    early = BatchFactory(start_date=today + dt.timedelta(days=10))
    late = BatchFactory(start_date=today + dt.timedelta(days=40))
    draft = BatchFactory(start_date=today + dt.timedelta(days=20), published=False)
    caller = api(moderator)

    def names(**query):
        return [b["name"] for b in caller.get("/batches", **query).json()["data"]]

    assert names(published="false") == [draft.name]
    assert names(published="true") == [early.name, late.name]
    assert names(start_date_from=str(today + dt.timedelta(days=15))) == [draft.name, late.name]
    assert names(start_date_to=str(today + dt.timedelta(days=20))) == [early.name, draft.name]
    assert names(
        start_date_from=str(today + dt.timedelta(days=15)), start_date_to=str(today + dt.timedelta(days=30))
    ) == [draft.name]


def test_list_paginates_with_limit_offset_and_total_count(api, student):
    batches = [BatchFactory(start_date=timezone.localdate() + dt.timedelta(days=10 + i)) for i in range(5)]
    caller = api(student)
    page = caller.get("/batches", limit=2, offset=1).json()
    assert page["count"] == 5 and [b["name"] for b in page["data"]] == [b.name for b in batches[1:3]]
    assert caller.get("/batches").json()["count"] == 5
    assert caller.get("/batches", offset=10).json() == {"data": [], "count": 5}


@pytest.mark.parametrize(
    "query, field",
    [
        ({"limit": 501}, "limit"),
        ({"limit": 0}, "limit"),
        ({"offset": -1}, "offset"),
        ({"published": "maybe"}, "published"),
        ({"start_date_from": "yesterday"}, "start_date_from"),
    ],
)
def test_list_refuses_bad_query_parameters(api, student, query, field):
    response = api(student).get("/batches", **query)
    assert error_of(response)[:2] == (422, "validation_error")
    assert response.json()["error"]["params"]["fields"] == [field]


def test_list_uses_a_fixed_number_of_queries(api, student, django_assert_num_queries):
    for _ in range(4):
        BatchFactory(courses=[CourseFactory(), CourseFactory()])
    caller = api(student)
    # auth: user by key, roles; then count, page, courses of the page
    with django_assert_num_queries(5):
        assert len(caller.get("/batches").json()["data"]) == 4


# Creating and changing ----------------------------------------------------------------------------


def test_moderator_creates_a_cohort_with_courses_and_a_slug_name(api, moderator):
    first, second = CourseFactory(), CourseFactory()
    response = api(moderator).post(
        "/batches",
        new_batch(courses=[second.name, first.name], seat_count=25, published=True, allow_self_enrollment=True),
    )
    assert response.status_code == 201
    data = response.json()["data"]
    assert list(data) == BATCH_FIELDS
    assert data["name"] == "python-101" and data["courses"] == [second.name, first.name]
    assert data["starts_at"] == "2031-03-02T09:30:00+05:30"
    assert (data["seat_count"], data["seats_left"], data["published"]) == (25, 25, True)
    assert Batch.objects.get(name="python-101").timezone == "Asia/Kolkata"


def test_second_cohort_with_the_same_title_gets_the_next_slug(api, moderator):
    caller = api(moderator)
    caller.post("/batches", new_batch())
    assert caller.post("/batches", new_batch()).json()["data"]["name"] == "python-101-2"


def test_paid_cohort_keeps_amount_and_currency(api, moderator):
    data = api(moderator).post("/batches", new_batch(paid_batch=True, amount="1499.50", currency="inr")).json()["data"]
    assert (data["paid_batch"], data["amount"], data["currency"]) == (True, 1499.5, "INR")
    assert Batch.objects.get(name=data["name"]).amount == Decimal("1499.50")


def test_create_refuses_a_taken_name(api, moderator, batch):
    response = api(moderator).post("/batches", new_batch(name=batch.name))
    assert error_of(response) == (409, "name_taken", f"The name {batch.name} is already used.")


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"end_date": "2031-03-01"}, "end_date"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"paid_batch": True}, "amount"),
        ({"name": "Robert'); DROP TABLE catalog_batch;--"}, "name"),
        ({"seat_count": -1}, "seat_count"),
        ({"start_time": "09:00+02:00"}, "start_time"),
        ({"courses": ["no-such-course"]}, "courses"),
        ({"title": "   "}, "title"),
    ],
)
def test_create_refuses_invalid_cohorts_naming_the_field(api, moderator, overrides, field):
    response = api(moderator).post("/batches", new_batch(**overrides))
    assert error_of(response)[:2] == (422, "validation_error")
    assert field in response.json()["error"]["params"]["fields"]
    assert not Batch.objects.exists()


def test_create_refuses_missing_and_unknown_fields(api, moderator):
    body = new_batch(colour="blue")
    del body["timezone"]
    response = api(moderator).post("/batches", body)
    assert error_of(response)[:2] == (422, "validation_error")
    assert sorted(response.json()["error"]["params"]["fields"]) == ["colour", "timezone"]


def test_html_in_a_title_is_stored_as_text(api, moderator):
    title = "<script>alert('x')</script> & Co"
    data = api(moderator).post("/batches", new_batch(title=title)).json()["data"]
    assert data["title"] == title and data["name"] == "scriptalertxscript-co"


def test_moderator_changes_a_cohort(api, moderator, batch):
    course = CourseFactory()
    response = api(moderator).patch(
        f"/batches/{batch.name}", {"title": "Renamed", "seat_count": None, "courses": [course.name]}
    )
    assert response.status_code == 200
    data = response.json()["data"]
    assert (data["title"], data["seat_count"], data["seats_left"], data["courses"]) == (
        "Renamed",
        None,
        None,
        [course.name],
    )


def test_change_refuses_a_seat_count_below_the_enrolled(api, moderator, batch):
    for _ in range(2):
        enroll(batch=batch, member=UserFactory(), actor=None, source="desk")
    response = api(moderator).patch(f"/batches/{batch.name}", {"seat_count": 1})
    assert error_of(response)[:2] == (409, "seat_count_below_enrolled")
    batch.refresh_from_db()
    assert batch.seat_count == 3


def test_change_refuses_null_for_a_required_field(api, moderator, batch):
    response = api(moderator).patch(f"/batches/{batch.name}", {"title": None})
    assert error_of(response)[:2] == (422, "validation_error")
    assert response.json()["error"]["params"]["fields"] == ["title"]


def test_change_refuses_end_before_start(api, moderator, batch):
    response = api(moderator).patch(f"/batches/{batch.name}", {"end_date": str(batch.start_date - dt.timedelta(1))})
    assert error_of(response)[:2] == (422, "validation_error")
    assert response.json()["error"]["params"]["fields"] == ["end_date"]


def test_students_cannot_create_or_change_cohorts(api, student, batch):
    caller = api(student)
    assert error_of(caller.post("/batches", new_batch()))[:2] == (403, "permission_denied")
    assert error_of(caller.patch(f"/batches/{batch.name}", {"title": "x"}))[:2] == (403, "permission_denied")
    assert not Batch.objects.filter(title__in=["Python 101", "x"]).exists()


def test_change_of_an_invisible_cohort_is_not_found_before_permission(api, student):
    hidden = BatchFactory(published=False)
    assert error_of(api(student).patch(f"/batches/{hidden.name}", {"title": "x"}))[:2] == (404, "not_found")


# Self-enrollment ------------------------------------------------------------------------------


def test_self_enroll_creates_an_api_enrollment(api, student, batch, django_capture_on_commit_callbacks, mailoutbox):
    with django_capture_on_commit_callbacks(execute=True):
        response = api(student).post(f"/batches/{batch.name}/enroll")
    assert response.status_code == 201
    data = response.json()["data"]
    enrollment = BatchEnrollment.objects.get()
    assert list(data) == ENROLLMENT_FIELDS
    assert data["name"] == f"BE-{enrollment.pk:06d}"
    assert (data["batch"], data["member"], data["member_name"]) == (batch.name, student.email, "Ada Lovelace")
    assert (data["status"], data["source"], data["member_type"]) == ("active", "api", "External")
    assert data["confirmation_email_sent"] is False  # the email goes out after commit
    assert [message.to for message in mailoutbox] == [[student.email]]


def test_self_enroll_twice_is_already_enrolled(api, student, batch):
    caller = api(student)
    caller.post(f"/batches/{batch.name}/enroll")
    assert error_of(caller.post(f"/batches/{batch.name}/enroll")) == (
        409,
        "already_enrolled",
        "You are already enrolled for this cohort.",
    )


def test_self_enroll_in_a_full_cohort(api, batch):
    for _ in range(3):
        enroll(batch=batch, member=UserFactory(), actor=None, source="desk")
    caller = api(UserFactory())
    events = EnrollmentEvent.objects.count()
    assert error_of(caller.post(f"/batches/{batch.name}/enroll")) == (409, "cohort_full", "This cohort is full.")
    assert EnrollmentEvent.objects.count() == events


def test_self_enroll_when_closed(api, student):
    batch = BatchFactory(allow_self_enrollment=False)
    assert error_of(api(student).post(f"/batches/{batch.name}/enroll")) == (
        403,
        "self_enrollment_closed",
        "Self enrollment is not open for this cohort.",
    )


def test_self_enroll_after_the_start(api, student, batch):
    Batch.objects.filter(pk=batch.pk).update(start_date=timezone.localdate() - dt.timedelta(days=2))
    assert error_of(api(student).post(f"/batches/{batch.name}/enroll")) == (
        409,
        "cohort_started",
        "This cohort has already started.",
    )


def test_self_enroll_after_the_end(api, student, batch):
    Batch.objects.filter(pk=batch.pk).update(
        start_date=timezone.localdate() - dt.timedelta(days=9), end_date=timezone.localdate() - dt.timedelta(days=2)
    )
    assert error_of(api(student).post(f"/batches/{batch.name}/enroll")) == (
        409,
        "cohort_ended",
        "This cohort has ended.",
    )


def test_self_enroll_in_an_unpublished_cohort_is_not_found(api, student):
    hidden = BatchFactory(published=False)
    assert error_of(api(student).post(f"/batches/{hidden.name}/enroll"))[:2] == (404, "not_found")


def test_self_enroll_with_an_unpublished_course(api, student, batch, courses):
    courses[1].published = False
    courses[1].save()
    assert error_of(api(student).post(f"/batches/{batch.name}/enroll")) == (
        409,
        "course_not_published",
        f"The course {courses[1].name} in this cohort is not published.",
    )


def test_self_enroll_without_the_student_role(api, batch):
    user = UserFactory(roles=[Role.HR_MANAGER])
    assert error_of(api(user).post(f"/batches/{batch.name}/enroll")) == (
        409,
        "not_a_student",
        f"The user {user.email} does not have the LMS Student role.",
    )


def test_staff_self_enroll_in_an_unpublished_cohort_is_not_published(api):
    user = UserFactory(roles=[Role.MODERATOR, Role.LMS_STUDENT])
    hidden = BatchFactory(published=False)
    assert error_of(api(user).post(f"/batches/{hidden.name}/enroll")) == (
        409,
        "cohort_not_published",
        "This cohort is not published.",
    )


def test_paid_cohort_needs_a_payment(api, student):
    batch = BatchFactory(paid_batch=True, amount=Decimal("100"), currency="EUR")
    assert error_of(api(student).post(f"/batches/{batch.name}/enroll")) == (
        402,
        "payment_required",
        "Payment is required to enroll in this cohort.",
    )


def test_paid_cohort_with_the_callers_payment(api, student):
    batch = BatchFactory(paid_batch=True, amount=Decimal("100"), currency="EUR")
    payment = record_payment(batch=batch, member=student, amount=Decimal("100"), currency="EUR", actor=None)
    assert api(student).post(f"/batches/{batch.name}/enroll", {"payment": payment.pk}).status_code == 201
    assert BatchEnrollment.objects.get().payment == payment


def test_someone_elses_payment_does_not_count(api, student):
    batch = BatchFactory(paid_batch=True, amount=Decimal("100"), currency="EUR")
    other = record_payment(batch=batch, member=UserFactory(), amount=Decimal("100"), currency="EUR", actor=None)
    assert error_of(api(student).post(f"/batches/{batch.name}/enroll", {"payment": other.pk}))[:2] == (
        402,
        "payment_required",
    )


def test_pending_payment_does_not_count(api, student):
    batch = BatchFactory(paid_batch=True, amount=Decimal("100"), currency="EUR")
    pending = Payment.objects.create(
        batch=batch, member=student, amount=Decimal("100"), currency="EUR", status=PaymentStatus.PENDING
    )
    assert error_of(api(student).post(f"/batches/{batch.name}/enroll", {"payment": pending.pk}))[:2] == (
        402,
        "payment_required",
    )


def test_self_enroll_refuses_unknown_fields(api, student, batch):
    response = api(student).post(f"/batches/{batch.name}/enroll", {"member": "someone@example.com"})
    assert error_of(response)[:2] == (422, "validation_error")
    assert response.json()["error"]["params"]["fields"] == ["member"]
    assert not BatchEnrollment.objects.exists()
