"""Enrolling from the desk: the "Enroll members" dialog and /app/lms-batch-enrollment/new."""

import datetime as dt

import pytest
from django.utils import timezone

from smoothlms.catalog.tests.factories import BatchFactory
from smoothlms.desk.tests.conftest import messages_of
from smoothlms.enrollment.models import BatchEnrollment, EmailStatus, EnrollmentStatus, MemberType, Source
from smoothlms.enrollment.services import enroll
from smoothlms.people.roles import Role
from smoothlms.people.tests.factories import EmployeeFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_dialog_enrolls_pasted_and_picked_members_and_shows_each_result(mod_client, mod, cohort, learners):
    enroll(batch=cohort, member=learners[1], actor=None, source=Source.PORTAL)
    response = mod_client.post(
        f"/app/catalog/batch/{cohort.pk}/enroll/",
        {"emails": "L0@example.com,\nl1@example.com; ghost@example.com", "users": [learners[2].pk], "notify": "on"},
    )
    assert response.status_code == 200
    rows = [(r["member"], r["status"], r["message"]) for r in response.context["rows"]]
    assert rows == [
        ("l0@example.com", "created", "Enrolled."),
        ("l1@example.com", "skipped", "l1@example.com is already enrolled for this cohort."),
        ("ghost@example.com", "failed", "No user with email ghost@example.com."),
        ("l2@example.com", "created", "Enrolled."),
    ]
    html = response.content.decode()
    assert "2 enrolled" in html and "1 skipped" in html and "1 failed" in html and "0 seats left of 3" in html
    made = BatchEnrollment.objects.get(batch=cohort, member=learners[0])
    assert (made.source, made.created_by) == (Source.DESK, mod)


def test_dialog_fills_seats_in_order_then_reports_cohort_full(mod_client, cohort, learners):
    response = mod_client.post(
        f"/app/catalog/batch/{cohort.pk}/enroll/", {"emails": "\n".join(u.email for u in learners), "notify": "on"}
    )
    assert [r["status"] for r in response.context["rows"]] == ["created", "created", "created", "failed"]
    assert response.context["rows"][3]["message"] == "This cohort is full."


def test_dialog_late_join_needs_a_reason_and_then_records_it(mod_client, learners):
    running = BatchFactory(start_date=timezone.localdate() - dt.timedelta(days=3))
    url = f"/app/catalog/batch/{running.pk}/enroll/"
    refused = mod_client.post(url, {"emails": learners[0].email})
    assert refused.context["rows"][0]["message"] == "This cohort has already started."
    no_reason = mod_client.post(url, {"emails": learners[0].email, "override_start": "on"})
    assert "A reason is required to override the start date." in no_reason.content.decode()
    assert not BatchEnrollment.objects.filter(batch=running).exists()
    done = mod_client.post(url, {"emails": learners[0].email, "override_start": "on", "reason": "new joiner"})
    assert done.context["rows"][0]["status"] == "created"
    assert BatchEnrollment.objects.get(batch=running).override_reason == "new joiner"


def test_dialog_notify_off_sends_nothing(mod_client, cohort, learners, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        mod_client.post(f"/app/catalog/batch/{cohort.pk}/enroll/", {"emails": learners[0].email})
    assert mailoutbox == []
    assert BatchEnrollment.objects.get().confirmation_email_status == EmailStatus.SKIPPED


def test_dialog_needs_at_least_one_member(mod_client, cohort):
    response = mod_client.post(f"/app/catalog/batch/{cohort.pk}/enroll/", {"emails": " ,\n"})
    assert "Paste at least one email or pick a user." in response.content.decode()


def test_new_enrollment_form_has_member_and_batch_and_saves_through_enroll(
    mod_client, mod, cohort, learners, mailoutbox, django_capture_on_commit_callbacks
):
    page = mod_client.get("/app/lms-batch-enrollment/new?batch=new-hires", follow=True)
    html = page.content.decode()
    assert page.status_code == 200 and 'name="member"' in html and 'name="batch"' in html
    assert '<option value="new-hires" selected>' in html
    with django_capture_on_commit_callbacks(execute=True):
        response = mod_client.post(
            "/app/enrollment/batchenrollment/add/",
            {"member": "L0@Example.com", "batch": "new-hires", "notify": "on", "_save": "1"},
            follow=True,
        )
    assert response.redirect_chain[-1][0] == "/app/lms-batch/new-hires#roster"
    assert messages_of(response) == ["l0@example.com is enrolled in New Hires."]
    made = BatchEnrollment.objects.get(batch=cohort, member=learners[0])
    assert (made.source, made.created_by, made.status) == (Source.DESK, mod, EnrollmentStatus.ACTIVE)
    assert [m.to for m in mailoutbox] == [["l0@example.com"]]


@pytest.mark.parametrize(
    "setup, member, message",
    [
        ("full", "l3@example.com", "This cohort is full."),
        ("enrolled", "l0@example.com", "l0@example.com is already enrolled for this cohort."),
        ("none", "ghost@example.com", "No user with email ghost@example.com."),
        ("none", "hr@example.com", "The user hr@example.com does not have the LMS Student role."),
    ],
)
def test_a_refused_save_shows_the_contract_message_and_no_success(mod_client, cohort, learners, setup, member, message):
    UserFactory(email="hr@example.com", roles=[Role.HR_MANAGER])
    if setup == "full":
        for learner in learners[:3]:
            enroll(batch=cohort, member=learner, actor=None, source=Source.DESK)
    if setup == "enrolled":
        enroll(batch=cohort, member=learners[0], actor=None, source=Source.DESK)
    before = BatchEnrollment.objects.count()
    response = mod_client.post(
        "/app/enrollment/batchenrollment/add/", {"member": member, "batch": "new-hires", "notify": "on", "_save": "1"}
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert messages_of(response) == []
    assert BatchEnrollment.objects.count() == before


def test_enrollments_are_read_only_and_show_member_type(mod_client, cohort, learners):
    EmployeeFactory(user=learners[0])
    enrollment = enroll(batch=cohort, member=learners[0], actor=None, source=Source.DESK)
    enroll(batch=cohort, member=learners[1], actor=None, source=Source.DESK)
    listing = mod_client.get("/app/lms-batch-enrollment", follow=True).content.decode()
    assert "Member type" in listing
    assert MemberType.EMPLOYEE in listing and MemberType.EXTERNAL in listing
    page = mod_client.get(f"/app/enrollment/batchenrollment/{enrollment.pk}/change/").content.decode()
    assert 'name="status"' not in page and "_save" not in page
    assert (
        mod_client.post(f"/app/enrollment/batchenrollment/{enrollment.pk}/change/", {"status": "cancelled"}).status_code
        == 403
    )
    assert (
        mod_client.post(f"/app/enrollment/batchenrollment/{enrollment.pk}/delete/", {"post": "yes"}).status_code == 403
    )
    enrollment.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.ACTIVE


def test_cancel_action_confirms_then_frees_the_seats(mod_client, cohort, learners):
    for learner in learners[:3]:
        enroll(batch=cohort, member=learner, actor=None, source=Source.DESK)
    ids = list(BatchEnrollment.objects.filter(member__in=learners[:2]).values_list("pk", flat=True))
    confirm = mod_client.post(
        "/app/enrollment/batchenrollment/", {"action": "cancel_enrollments", "_selected_action": ids}
    )
    assert confirm.status_code == 200 and "Cancel 2 active enrollments?" in confirm.content.decode()
    cohort.refresh_from_db()
    assert cohort.seats_taken == 3
    done = mod_client.post(
        "/app/enrollment/batchenrollment/",
        {"action": "cancel_enrollments", "_selected_action": ids, "confirm": "yes", "reason": "left the team"},
        follow=True,
    )
    assert "Cancelled 2 enrollments; their seats are free again." in messages_of(done)
    cohort.refresh_from_db()
    assert cohort.seats_taken == 1
    assert set(BatchEnrollment.objects.filter(pk__in=ids).values_list("status", flat=True)) == {"cancelled"}
    again = mod_client.post(
        "/app/enrollment/batchenrollment/add/",
        {"member": learners[3].email, "batch": "new-hires", "_save": "1"},
        follow=True,
    )
    assert messages_of(again) == ["l3@example.com is enrolled in New Hires."]


def test_cancel_one_from_the_roster_frees_its_seat(mod_client, cohort, learners):
    enrollment = enroll(batch=cohort, member=learners[0], actor=None, source=Source.DESK)
    url = f"/app/enrollment/batchenrollment/{enrollment.pk}/cancel/"
    assert "Cancel the enrollment of" in mod_client.get(url).content.decode()
    response = mod_client.post(url, {"reason": "duplicate"}, follow=True)
    assert response.redirect_chain[-1][0].startswith("/app/lms-batch/new-hires")
    cohort.refresh_from_db()
    enrollment.refresh_from_db()
    assert (cohort.seats_taken, enrollment.status) == (0, EnrollmentStatus.CANCELLED)
    twice = mod_client.post(url, {}, follow=True)
    assert messages_of(twice) == ["l0@example.com is not enrolled in this cohort."]
