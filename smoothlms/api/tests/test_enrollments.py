"""Rosters, enrolling one member or many, and cancelling over the API."""

import datetime as dt
import json

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.utils import timezone

from smoothlms.api.tests.conftest import error_of
from smoothlms.catalog.models import Batch
from smoothlms.catalog.tests.factories import BatchFactory
from smoothlms.core.models import EnrollmentEvent, EventType
from smoothlms.enrollment.models import BatchEnrollment, CourseEnrollment, EmailStatus, EnrollmentStatus
from smoothlms.enrollment.services import cancel_enrollment, enroll
from smoothlms.people.models import User
from smoothlms.people.roles import Role
from smoothlms.people.services import set_user_enabled
from smoothlms.people.tests.factories import EmployeeFactory, UserFactory

pytestmark = pytest.mark.django_db


def started(batch):
    Batch.objects.filter(pk=batch.pk).update(start_date=timezone.localdate() - dt.timedelta(days=2))


def snapshot(batch):
    batch.refresh_from_db()
    return (
        batch.seats_taken,
        BatchEnrollment.objects.count(),
        CourseEnrollment.objects.count(),
        EnrollmentEvent.objects.filter(batch=batch).count(),
    )


# Roster ---------------------------------------------------------------------------------------


def test_roster_lists_active_enrollments_oldest_first(api, moderator, batch):
    first, second, gone = UserFactory(), UserFactory(), UserFactory()
    for user in (first, second, gone):
        enroll(batch=batch, member=user, actor=None, source="desk")
    cancel_enrollment(batch=batch, member=gone, actor=None)
    body = api(moderator).get(f"/batches/{batch.name}/enrollments").json()
    assert body["count"] == 2 and [e["member"] for e in body["data"]] == [first.email, second.email]
    assert body["data"][0]["source"] == "desk"


@pytest.mark.parametrize("status, expected", [("active", 1), ("cancelled", 1), ("waitlisted", 0), ("all", 2)])
def test_roster_filters_by_status(api, moderator, batch, status, expected):
    kept, gone = UserFactory(), UserFactory()
    enroll(batch=batch, member=kept, actor=None, source="desk")
    enroll(batch=batch, member=gone, actor=None, source="desk")
    cancel_enrollment(batch=batch, member=gone, actor=None)
    body = api(moderator).get(f"/batches/{batch.name}/enrollments", status=status).json()
    assert body["count"] == expected and all(status in ("all", e["status"]) for e in body["data"])


def test_roster_refuses_an_unknown_status(api, moderator, batch):
    response = api(moderator).get(f"/batches/{batch.name}/enrollments", status="gone")
    assert error_of(response)[:2] == (422, "validation_error")
    assert response.json()["error"]["params"]["fields"] == ["status"]


def test_roster_member_type_is_employee_when_an_hr_record_links_the_user(api, moderator, batch):
    employee_user = UserFactory()
    EmployeeFactory(user=employee_user)
    enroll(batch=batch, member=employee_user, actor=None, source="desk")
    assert api(moderator).get(f"/batches/{batch.name}/enrollments").json()["data"][0]["member_type"] == "Employee"


def test_roster_paginates(api, moderator):
    batch = BatchFactory(seat_count=None)
    users = [UserFactory() for _ in range(5)]
    for user in users:
        enroll(batch=batch, member=user, actor=None, source="desk")
    body = api(moderator).get(f"/batches/{batch.name}/enrollments", limit=2, offset=2).json()
    assert body["count"] == 5 and [e["member"] for e in body["data"]] == [u.email for u in users[2:4]]


def test_roster_uses_a_fixed_number_of_queries(api, moderator, django_assert_num_queries):
    batch = BatchFactory(seat_count=None)
    for _ in range(6):
        enroll(batch=batch, member=UserFactory(), actor=None, source="desk")
    caller = api(moderator)
    # auth: user by key, roles; the cohort (+ its courses); count; the page
    with django_assert_num_queries(6):
        assert len(caller.get(f"/batches/{batch.name}/enrollments").json()["data"]) == 6


def test_batch_evaluator_reads_the_roster_but_students_do_not(api, batch, student):
    evaluator = UserFactory(roles=[Role.BATCH_EVALUATOR])
    assert api(evaluator).get(f"/batches/{batch.name}/enrollments").status_code == 200
    assert error_of(api(student).get(f"/batches/{batch.name}/enrollments"))[:2] == (403, "permission_denied")


def test_roster_of_an_invisible_cohort_is_not_found_first(api, student):
    hidden = BatchFactory(published=False)
    assert error_of(api(student).get(f"/batches/{hidden.name}/enrollments"))[:2] == (404, "not_found")


# Enrolling one member ----------------------------------------------------------------------------


def test_moderator_enrolls_a_member_given_with_odd_case_and_spaces(api, moderator, batch, student, courses):
    response = api(moderator).post(f"/batches/{batch.name}/enrollments", {"member": f"  {student.email.upper()} "})
    assert response.status_code == 201
    data = response.json()["data"]
    assert (data["member"], data["source"], data["status"]) == (student.email, "api", "active")
    assert set(CourseEnrollment.objects.filter(member=student).values_list("course", flat=True)) == {
        c.pk for c in courses
    }
    event = EnrollmentEvent.objects.get(kind=EventType.ENROLLED)
    assert (event.actor, event.member, event.source) == (moderator, student, "api")


def test_enrolling_without_notify_skips_the_email(
    api, moderator, batch, student, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        api(moderator).post(f"/batches/{batch.name}/enrollments", {"member": student.email, "notify": False})
    assert BatchEnrollment.objects.get().confirmation_email_status == EmailStatus.SKIPPED
    assert mailoutbox == []


def test_enrolling_again_after_cancelling_reactivates(api, moderator, batch, student):
    caller = api(moderator)
    first = caller.post(f"/batches/{batch.name}/enrollments", {"member": student.email}).json()["data"]
    assert caller.delete(f"/batches/{batch.name}/enrollments/{student.email}").status_code == 204
    again = caller.post(f"/batches/{batch.name}/enrollments", {"member": student.email})
    assert again.status_code == 201 and again.json()["data"]["name"] == first["name"]
    assert again.json()["data"]["status"] == "active"


@pytest.mark.parametrize(
    "case, status, code, message",
    [
        ("unknown", 404, "user_not_found", "No user with email nobody@example.com."),
        ("disabled", 409, "user_disabled", "The user {email} is disabled."),
        ("not_student", 409, "not_a_student", "The user {email} does not have the LMS Student role."),
        ("already", 409, "already_enrolled", "{email} is already enrolled for this cohort."),
        ("started", 409, "cohort_started", "This cohort has already started."),
        ("full", 409, "cohort_full", "This cohort is full."),
        ("unpublished", 409, "cohort_not_published", "This cohort is not published."),
        ("ended", 409, "cohort_ended", "This cohort has ended."),
        ("no_reason", 422, "override_reason_required", "A reason is required to override the start date."),
    ],
)
def test_enrolling_one_member_refusals(api, moderator, batch, case, status, code, message):
    member = UserFactory(roles=[Role.HR_MANAGER] if case == "not_student" else None)
    body = {"member": member.email}
    if case == "unknown":
        body["member"] = "Nobody@Example.com"
    elif case == "disabled":
        set_user_enabled(user=member, enabled=False, actor=None)
    elif case == "already":
        enroll(batch=batch, member=member, actor=None, source="desk")
    elif case == "started":
        started(batch)
    elif case == "full":
        for _ in range(3):
            enroll(batch=batch, member=UserFactory(), actor=None, source="desk")
    elif case == "unpublished":
        Batch.objects.filter(pk=batch.pk).update(published=False)
    elif case == "ended":
        Batch.objects.filter(pk=batch.pk).update(
            start_date=timezone.localdate() - dt.timedelta(days=9), end_date=timezone.localdate() - dt.timedelta(days=1)
        )
    elif case == "no_reason":
        body["override_start"] = True
    caller = api(moderator)
    before = snapshot(batch)
    response = caller.post(f"/batches/{batch.name}/enrollments", body)
    assert error_of(response) == (status, code, message.format(email=member.email))
    assert snapshot(batch) == before


def test_override_with_a_reason_enrolls_after_the_start(api, moderator, batch, student):
    started(batch)
    response = api(moderator).post(
        f"/batches/{batch.name}/enrollments", {"member": student.email, "override_start": True, "reason": "Late hire"}
    )
    assert response.status_code == 201
    assert BatchEnrollment.objects.get().override_reason == "Late hire"
    assert EnrollmentEvent.objects.filter(kind=EventType.OVERRIDE, reason="Late hire").exists()


def test_students_cannot_enroll_others_or_themselves_through_the_roster(api, batch, student):
    other = UserFactory()
    caller = api(student)
    for member in (other.email, student.email):
        assert error_of(caller.post(f"/batches/{batch.name}/enrollments", {"member": member})) == (
            403,
            "permission_denied",
            "You do not have permission to enroll other users.",
        )
    assert not BatchEnrollment.objects.exists()


def test_enrolling_in_an_unknown_cohort(api, moderator, student):
    assert error_of(api(moderator).post("/batches/nope/enrollments", {"member": student.email})) == (
        404,
        "not_found",
        "No cohort named nope.",
    )


def test_enroll_one_refuses_bad_types_and_unknown_fields(api, moderator, batch):
    response = api(moderator).post(
        f"/batches/{batch.name}/enrollments", {"member": 42, "override_start": "perhaps", "seat": 1}
    )
    assert error_of(response)[:2] == (422, "validation_error")
    assert sorted(response.json()["error"]["params"]["fields"]) == ["member", "override_start", "seat"]


# Bulk ------------------------------------------------------------------------------------------


def test_bulk_reports_each_member_in_order(api, moderator, batch):
    ok, already, disabled = UserFactory(), UserFactory(), UserFactory()
    enroll(batch=batch, member=already, actor=None, source="desk")
    set_user_enabled(user=disabled, enabled=False, actor=None)
    members = [f" {ok.email.upper()}", already.email, "ghost@example.com", disabled.email, ok.email]
    response = api(moderator).post(f"/batches/{batch.name}/enrollments/bulk", {"members": members})
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["results"] == [
        {"member": ok.email, "status": "created"},
        {
            "member": already.email,
            "status": "skipped",
            "code": "already_enrolled",
            "message": f"{already.email} is already enrolled for this cohort.",
        },
        {
            "member": "ghost@example.com",
            "status": "failed",
            "code": "user_not_found",
            "message": "No user with email ghost@example.com.",
        },
        {
            "member": disabled.email,
            "status": "failed",
            "code": "user_disabled",
            "message": f"The user {disabled.email} is disabled.",
        },
        {
            "member": ok.email,
            "status": "skipped",
            "code": "already_enrolled",
            "message": f"{ok.email} is already enrolled for this cohort.",
        },
    ]
    assert (data["created"], data["skipped"], data["failed"]) == (1, 2, 2)
    assert BatchEnrollment.objects.get(member=ok).source == "api"


def test_bulk_fills_seats_in_order_then_reports_cohort_full(api, moderator, batch):
    users = [UserFactory() for _ in range(5)]
    data = (
        api(moderator)
        .post(f"/batches/{batch.name}/enrollments/bulk", {"members": [u.email for u in users]})
        .json()["data"]
    )
    assert [r["status"] for r in data["results"]] == ["created"] * 3 + ["failed"] * 2
    assert {r.get("code") for r in data["results"][3:]} == {"cohort_full"}
    batch.refresh_from_db()
    assert batch.seats_taken == 3


def test_bulk_of_ten_thousand_members_in_one_call(api, moderator):
    batch = BatchFactory(seat_count=None)
    emails = [f"bulk{n:05d}@example.com" for n in range(10_000)]
    # Ten thousand learners, made in bulk (the service makes one at a time): users, then their role.
    User.objects.bulk_create([User(email=email, password="!") for email in emails])
    Group.objects.get(name=Role.LMS_STUDENT).user_set.add(*User.objects.filter(email__in=emails))
    body = {"members": emails, "notify": False}
    assert len(json.dumps(body)) < settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    response = api(moderator).post(f"/batches/{batch.name}/enrollments/bulk", body)
    assert response.status_code == 200
    data = response.json()["data"]
    assert (data["created"], data["skipped"], data["failed"]) == (10_000, 0, 0)
    assert [r["member"] for r in data["results"]] == emails
    assert BatchEnrollment.objects.filter(batch=batch, status=EnrollmentStatus.ACTIVE).count() == 10_000


def test_bulk_refuses_more_than_ten_thousand_members(api, moderator, batch):
    response = api(moderator).post(
        f"/batches/{batch.name}/enrollments/bulk", {"members": [f"m{n}@example.com" for n in range(10_001)]}
    )
    assert error_of(response)[:2] == (422, "validation_error")
    assert response.json()["error"]["params"]["fields"] == ["members"]


def test_bulk_refuses_an_empty_list(api, moderator, batch):
    assert error_of(api(moderator).post(f"/batches/{batch.name}/enrollments/bulk", {"members": []}))[:2] == (
        422,
        "validation_error",
    )


def test_bulk_override_needs_a_reason(api, moderator, batch, student):
    response = api(moderator).post(
        f"/batches/{batch.name}/enrollments/bulk", {"members": [student.email], "override_start": True}
    )
    assert error_of(response) == (422, "override_reason_required", "A reason is required to override the start date.")
    assert not BatchEnrollment.objects.exists()


def test_bulk_override_with_a_reason_after_the_start(api, moderator, batch, student):
    started(batch)
    caller = api(moderator)
    plain = caller.post(f"/batches/{batch.name}/enrollments/bulk", {"members": [student.email]}).json()["data"]
    assert plain["results"][0]["code"] == "cohort_started"
    overridden = caller.post(
        f"/batches/{batch.name}/enrollments/bulk",
        {"members": [student.email], "override_start": True, "reason": "Late hires"},
    )
    assert overridden.json()["data"]["created"] == 1


def test_students_cannot_bulk_enroll(api, batch, student):
    response = api(student).post(f"/batches/{batch.name}/enrollments/bulk", {"members": [student.email]})
    assert error_of(response) == (403, "permission_denied", "You do not have permission to enroll other users.")
    assert not BatchEnrollment.objects.exists()


# Cancelling ------------------------------------------------------------------------------------


def test_cancel_frees_the_seat_and_keeps_the_row(api, moderator, batch, student):
    enroll(batch=batch, member=student, actor=None, source="desk")
    response = api(moderator).delete(
        f"/batches/{batch.name}/enrollments/{student.email.upper()}", reason="Left the company"
    )
    assert response.status_code == 204 and response.content == b""
    batch.refresh_from_db()
    enrollment = BatchEnrollment.objects.get()
    assert (batch.seats_taken, enrollment.status) == (0, EnrollmentStatus.CANCELLED)
    event = EnrollmentEvent.objects.get(kind=EventType.CANCELLED)
    assert (event.source, event.reason, event.actor) == ("api", "Left the company", moderator)


def test_cancel_of_a_member_not_enrolled(api, moderator, batch, student):
    assert error_of(api(moderator).delete(f"/batches/{batch.name}/enrollments/{student.email}")) == (
        404,
        "not_enrolled",
        f"{student.email} is not enrolled in this cohort.",
    )


def test_students_cannot_cancel(api, batch, student):
    enroll(batch=batch, member=student, actor=None, source="desk")
    assert error_of(api(student).delete(f"/batches/{batch.name}/enrollments/{student.email}")) == (
        403,
        "permission_denied",
        "You do not have permission to cancel enrollments.",
    )
    assert BatchEnrollment.objects.get().status == EnrollmentStatus.ACTIVE


def test_cancel_in_an_unknown_cohort(api, moderator, student):
    assert error_of(api(moderator).delete(f"/batches/nope/enrollments/{student.email}"))[:2] == (404, "not_found")
