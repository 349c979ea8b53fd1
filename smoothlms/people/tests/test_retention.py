"""Retention: disabling keeps every record; purging anonymises instead of deleting, and is audited."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from smoothlms.assessments.models import QuizSubmission
from smoothlms.assessments.services import submit_quiz
from smoothlms.assessments.tests.factories import make_quiz
from smoothlms.catalog.tests.factories import BatchFactory, CourseFactory
from smoothlms.core.models import EnrollmentEvent, EventType
from smoothlms.enrollment.models import BatchEnrollment, CourseEnrollment, Source
from smoothlms.enrollment.services import enroll
from smoothlms.people.models import Employee, User
from smoothlms.people.retention import AlreadyPurged, PurgeNotConfirmed, purge_user
from smoothlms.people.services import issue_api_key, set_user_enabled, set_user_roles
from smoothlms.people.tests.factories import EmployeeFactory, UserFactory, moderator
from smoothlms.training.models import Certificate, TrainingAssignment

pytestmark = pytest.mark.django_db


@pytest.fixture
def history():
    """A learner with an enrollment, course access, an assignment, a submission and a certificate."""
    course = CourseFactory()
    batch = BatchFactory(courses=[course])
    learner = UserFactory(email="Rosa.Diaz@corp.com", full_name="Rosa Diaz")
    admin = moderator(email="admin@corp.com")
    EmployeeFactory(
        employee="E42",
        employee_name="Rosa Diaz",
        company_email="rosa.diaz@corp.com",
        personal_email="rosa@home.example",
        user=learner,
    )
    enroll(batch=batch, member=learner, actor=admin, source=Source.DESK, notify=False)
    TrainingAssignment.objects.create(user=learner, course=course, due_date=timezone.localdate())
    submit_quiz(quiz=make_quiz(title="Safety", course=course), member=learner, answers=[], actor=learner)
    Certificate.objects.create(
        name="CERT-1", member=learner, course=course, batch=batch, issue_date=timezone.localdate()
    )
    issue_api_key(user=learner)
    return learner, admin


def _records(user: User) -> tuple[int, ...]:
    return (
        BatchEnrollment.objects.filter(member=user).count(),
        CourseEnrollment.objects.filter(member=user).count(),
        TrainingAssignment.objects.filter(user=user).count(),
        QuizSubmission.objects.filter(member=user).count(),
        Certificate.objects.filter(member=user).count(),
    )


def test_disabling_a_user_keeps_every_record(history):
    learner, admin = history
    events_before = EnrollmentEvent.objects.filter(member=learner).count()
    set_user_enabled(user=learner, enabled=False, actor=admin, reason="left the company")
    learner.refresh_from_db()

    assert not learner.enabled
    assert _records(learner) == (1, 1, 1, 1, 1)
    assert BatchEnrollment.objects.get(member=learner).status == "active"
    assert EnrollmentEvent.objects.filter(member=learner).count() == events_before + 1
    assert learner.email == "rosa.diaz@corp.com" and learner.full_name == "Rosa Diaz"


def test_purge_anonymises_and_keeps_the_records(history):
    learner, admin = history
    set_user_roles(user=learner, roles=["LMS Student", "Course Creator"], actor=admin)
    EnrollmentEvent.objects.create(kind=EventType.OVERRIDE, actor=learner, actor_email=learner.email)
    purged = purge_user(user=learner, actor=admin, confirm=True, reason="GDPR request 17")
    learner = User.objects.get(pk=learner.pk)

    assert purged.email == learner.email == f"purged-{learner.pk}@invalid"
    assert (learner.full_name, learner.enabled, learner.api_key, learner.api_secret_hash) == ("", False, None, "")
    assert not learner.has_usable_password() and not learner.groups.exists()
    assert _records(learner) == (1, 1, 1, 1, 1)
    employee = Employee.objects.get(employee="E42")
    assert (employee.employee_name, employee.company_email, employee.personal_email, employee.user) == (
        "",
        "",
        "",
        learner,
    )
    assert not EnrollmentEvent.objects.filter(actor_email__icontains="rosa").exists()
    created = EnrollmentEvent.objects.get(kind=EventType.USER_CREATED, member=learner)
    assert created.after["email"] == learner.email  # the old address is gone from before/after values too
    purge = EnrollmentEvent.objects.get(kind=EventType.USER_PURGED)
    assert (purge.member, purge.actor, purge.reason) == (learner, admin, "GDPR request 17")
    assert "rosa" not in str(purge.before).lower() + str(purge.after).lower()


def test_purge_refuses_without_confirmation_and_changes_nothing(history):
    learner, _ = history
    with pytest.raises(PurgeNotConfirmed) as caught:
        purge_user(user=learner, actor=None, confirm=False)

    assert caught.value.code == "confirmation_required"
    assert "rosa.diaz@corp.com" in caught.value.user_message()
    learner.refresh_from_db()
    assert learner.email == "rosa.diaz@corp.com" and learner.enabled
    assert not EnrollmentEvent.objects.filter(kind=EventType.USER_PURGED).exists()


def test_purge_refuses_a_purged_user(history):
    learner, _ = history
    purge_user(user=learner, actor=None, confirm=True)
    with pytest.raises(AlreadyPurged):
        purge_user(user=User.objects.get(pk=learner.pk), actor=None, confirm=True)
    assert EnrollmentEvent.objects.filter(kind=EventType.USER_PURGED).count() == 1


def test_purged_address_is_free_for_a_new_account(history):
    learner, _ = history
    purge_user(user=learner, actor=None, confirm=True)
    again = UserFactory(email="rosa.diaz@corp.com")
    assert again.pk != learner.pk and _records(again) == (0, 0, 0, 0, 0)


def test_a_disabled_leaver_still_shows_in_exports_of_history(history):
    learner, admin = history
    from smoothlms.csvio.exports import ExportFilters, export_lines

    set_user_enabled(user=learner, enabled=False, actor=admin)
    since = timezone.localdate() - dt.timedelta(days=1)
    text = "".join(export_lines("certificates", ExportFilters(since=since)))
    assert "CERT-1" in text and "rosa.diaz@corp.com" in text
