"""Onboarding rules: new hires get their cohort and mandatory courses, once, through any HR path."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from smoothlms.catalog.tests.factories import BatchFactory, CourseFactory
from smoothlms.core.models import EnrollmentEvent, EventType
from smoothlms.enrollment.models import BatchEnrollment, EnrollmentStatus, Source
from smoothlms.enrollment.services import cancel_enrollment
from smoothlms.hr.models import OnboardingApplication, OnboardingRule
from smoothlms.hr.onboarding import apply_onboarding_rules
from smoothlms.hr.services import provision_employee, provision_employees
from smoothlms.hr.tests.factories import record
from smoothlms.people.roles import Role
from smoothlms.people.tests.factories import UserFactory, moderator
from smoothlms.training.models import TrainingAssignment

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


@pytest.fixture
def programme(db):
    return CourseFactory(name="new-hire", title="New Hire")


@pytest.fixture
def author(db):
    return moderator(email="rules@example.com")


@pytest.fixture
def rule(programme, author):
    rule = OnboardingRule.objects.create(
        name="Engineering joiners",
        department="engineering",
        programme=programme,
        due_in_days=30,
        joined_on_or_after=TODAY - dt.timedelta(days=60),
        author=author,
    )
    rule.mandatory_courses.set([CourseFactory(name="security"), CourseFactory(name="conduct")])
    return rule


def cohort(programme, starts_in: int, **kwargs):
    start = TODAY + dt.timedelta(days=starts_in)
    return BatchFactory(courses=[programme], start_date=start, end_date=start + dt.timedelta(days=5), **kwargs)


def hire(hr_id="HR-1", joined_in=5, capture=None, **fields):
    fields.setdefault("department", "Engineering")
    fields.setdefault("company_email", f"{hr_id.lower()}@example.com")
    rec = record(hr_id, date_of_joining=TODAY + dt.timedelta(days=joined_in), **fields)
    with capture(execute=True):
        employee, _ = provision_employee(record=rec, actor=None, source="api")
    return employee


def test_new_hire_joins_the_next_cohort_after_joining_and_gets_mandatory_courses(
    rule, programme, author, django_capture_on_commit_callbacks
):
    cohort(programme, 2)  # starts before the date of joining
    expected = cohort(programme, 9)
    cohort(programme, 16)
    employee = hire(capture=django_capture_on_commit_callbacks)
    enrollment = BatchEnrollment.objects.get(member=employee.user)
    assert (enrollment.batch, enrollment.source, enrollment.created_by) == (expected, Source.HR_RULE, author)
    due = TODAY + dt.timedelta(days=35)
    assert sorted(
        TrainingAssignment.objects.filter(user=employee.user).values_list(
            "course__name", "due_date", "assigned_by_rule"
        )
    ) == [("conduct", due, rule.name), ("security", due, rule.name)]
    application = OnboardingApplication.objects.get()
    assert (application.status, application.batch, application.enrolled, application.trained) == (
        "done",
        expected,
        True,
        True,
    )


def test_applying_again_changes_nothing_even_after_a_moderator_cancelled(
    rule, programme, django_capture_on_commit_callbacks
):
    batch = cohort(programme, 9)
    employee = hire(capture=django_capture_on_commit_callbacks)
    assert apply_onboarding_rules().applied == 0
    cancel_enrollment(batch=batch, member=employee.user, actor=None)
    apply_onboarding_rules()
    assert BatchEnrollment.objects.get(member=employee.user).status == EnrollmentStatus.CANCELLED
    assert TrainingAssignment.objects.count() == 2
    assert OnboardingApplication.objects.get().attempts == 1


@pytest.mark.parametrize(("field", "value"), [("department", "Sales"), ("designation", "Other")])
def test_employees_the_rule_does_not_match_are_left_alone(
    rule, programme, django_capture_on_commit_callbacks, field, value
):
    rule.designation = "Engineer"
    rule.save()
    cohort(programme, 9)
    hire(capture=django_capture_on_commit_callbacks, **{"designation": "engineer", field: value})
    assert not BatchEnrollment.objects.exists() and not TrainingAssignment.objects.exists()


def test_rule_on_employment_type_onboards_interns_only(rule, programme, django_capture_on_commit_callbacks):
    rule.department, rule.employment_type = "", "Intern"
    rule.save()
    cohort(programme, 9)
    intern = hire("HR-1", capture=django_capture_on_commit_callbacks, employment_type="intern")
    hire("HR-2", capture=django_capture_on_commit_callbacks, employment_type="Full-time")
    assert list(BatchEnrollment.objects.values_list("member", flat=True)) == [intern.user_id]


def test_staff_who_joined_before_the_rule_are_not_new_hires(rule, programme, django_capture_on_commit_callbacks):
    cohort(programme, 9)
    hire(joined_in=-365, capture=django_capture_on_commit_callbacks)
    assert not OnboardingApplication.objects.exists()


def test_without_a_cohort_yet_the_joiner_waits_and_the_periodic_run_enrolls_them(
    rule, programme, django_capture_on_commit_callbacks
):
    employee = hire(capture=django_capture_on_commit_callbacks)
    application = OnboardingApplication.objects.get()
    assert (application.status, application.enrolled, application.trained) == ("pending", False, True)
    assert application.detail == (
        f"No published cohort of New Hire with a free seat starts on or after "
        f"{(TODAY + dt.timedelta(days=5)).isoformat()} yet."
    )
    batch = cohort(programme, 12)
    assert apply_onboarding_rules().applied == 1
    assert BatchEnrollment.objects.get(member=employee.user).batch == batch
    assert TrainingAssignment.objects.count() == 2  # assigned once, the first time


def test_a_full_cohort_sends_joiners_to_the_next_one(rule, programme, django_capture_on_commit_callbacks):
    small = cohort(programme, 9, seat_count=1)
    later = cohort(programme, 16)
    with django_capture_on_commit_callbacks(execute=True):
        provision_employees(
            records=[
                record(
                    f"HR-{n}",
                    company_email=f"p{n}@example.com",
                    department="Engineering",
                    date_of_joining=TODAY + dt.timedelta(days=5),
                )
                for n in range(3)
            ],
            actor=None,
            source="import",
        )
    assert sorted(BatchEnrollment.objects.values_list("member__email", "batch__name")) == [
        ("p0@example.com", small.name),
        ("p1@example.com", later.name),
        ("p2@example.com", later.name),
    ]
    assert set(OnboardingApplication.objects.values_list("status", flat=True)) == {"done"}


def test_a_rehire_is_onboarded_again_for_the_new_date_of_joining(rule, programme, django_capture_on_commit_callbacks):
    cohort(programme, 9)
    employee = hire(capture=django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        provision_employee(
            record=record(
                "HR-1",
                company_email="hr-1@example.com",
                department="Engineering",
                status="Left",
                date_of_joining=TODAY + dt.timedelta(days=5),
            ),
            actor=None,
            source="api",
        )
    second = cohort(programme, 40)
    hire(joined_in=30, capture=django_capture_on_commit_callbacks)
    assert OnboardingApplication.objects.filter(employee=employee).count() == 2
    assert BatchEnrollment.objects.filter(member=employee.user, batch=second).exists()


def test_leavers_and_disabled_users_are_not_onboarded(rule, programme, django_capture_on_commit_callbacks):
    cohort(programme, 9)
    hire(capture=django_capture_on_commit_callbacks, status="Left")
    assert not OnboardingApplication.objects.exists()


def test_the_import_applies_the_rules(rule, programme, tmp_path, django_capture_on_commit_callbacks):
    batch = cohort(programme, 9)
    joined = (TODAY + dt.timedelta(days=5)).isoformat()
    path = tmp_path / "hr.csv"
    path.write_text(
        "ID,Full Name,Company Email,Status,Date of Joining,Department\n"
        f"HR-1,Ana,ana@example.com,Active,{joined},Engineering\n"
    )
    with django_capture_on_commit_callbacks(execute=True):
        call_command("import_employees", str(path), stdout=io.StringIO())
    assert BatchEnrollment.objects.get(member__email="ana@example.com").batch == batch
    assert TrainingAssignment.objects.filter(user__email="ana@example.com").count() == 2


# The rule's author and their rights ---------------------------------------------------------------


def _hr_rule(rule):
    rule.author = UserFactory(email="hr@example.com", roles=[Role.HR_MANAGER])
    rule.save()
    return rule


def test_an_hr_manager_authors_rule_gets_no_seat_in_a_paid_cohort_without_payment_and_nothing_changes(
    rule, programme, django_capture_on_commit_callbacks
):
    _hr_rule(rule)
    paid = cohort(programme, 9, paid_batch=True, amount=100, currency="EUR")
    employee = hire(capture=django_capture_on_commit_callbacks)
    assert not BatchEnrollment.objects.filter(member=employee.user).exists()
    paid.refresh_from_db()
    assert paid.seats_taken == 0
    application = OnboardingApplication.objects.get()
    assert (application.status, application.enrolled) == ("pending", False)
    assert application.detail == f"{paid.name}: payment_required: Payment is required to enroll in this cohort."


def test_an_hr_manager_authors_rule_follows_closed_self_enrollment(rule, programme, django_capture_on_commit_callbacks):
    _hr_rule(rule)
    cohort(programme, 9, allow_self_enrollment=False)
    employee = hire(capture=django_capture_on_commit_callbacks)
    assert not BatchEnrollment.objects.filter(member=employee.user).exists()
    assert "self_enrollment_closed" in OnboardingApplication.objects.get().detail


def test_an_hr_manager_authors_rule_enrolls_where_the_joiner_may_enroll_themselves(
    rule, programme, django_capture_on_commit_callbacks
):
    _hr_rule(rule)
    open_cohort = cohort(programme, 9)
    employee = hire(capture=django_capture_on_commit_callbacks)
    enrollment = BatchEnrollment.objects.get(member=employee.user)
    assert (enrollment.batch, enrollment.source) == (open_cohort, Source.HR_RULE)


def test_the_audit_event_names_the_rule_and_its_moderator_author(
    rule, programme, author, django_capture_on_commit_callbacks
):
    cohort(programme, 9)
    employee = hire(capture=django_capture_on_commit_callbacks)
    event = EnrollmentEvent.objects.get(member=employee.user, kind=EventType.ENROLLED)
    assert (event.actor, event.actor_email, event.source) == (author, "rules@example.com", Source.HR_RULE)
    assert event.after["origin"] == {"onboarding_rule": "Engineering joiners", "author": "rules@example.com"}


def test_the_audit_event_names_the_rule_and_its_author_when_the_joiner_enrolls_on_their_own_rights(
    rule, programme, django_capture_on_commit_callbacks
):
    _hr_rule(rule)
    cohort(programme, 9)
    employee = hire(capture=django_capture_on_commit_callbacks)
    event = EnrollmentEvent.objects.get(member=employee.user, kind=EventType.ENROLLED)
    assert event.actor == employee.user  # the rights used are the joiner's own
    assert event.after["origin"] == {"onboarding_rule": "Engineering joiners", "author": "hr@example.com"}


def test_an_enrollment_no_rule_set_in_motion_names_no_origin(programme, django_capture_on_commit_callbacks):
    from smoothlms.enrollment.services import enroll

    batch = cohort(programme, 9)
    member = UserFactory(email="self@example.com")
    enroll(batch=batch, member=member, actor=member, source=Source.PORTAL, notify=False)
    assert "origin" not in EnrollmentEvent.objects.get(member=member, kind=EventType.ENROLLED).after


def test_a_moderator_authors_rule_enrolls_where_self_enrollment_is_closed(
    rule, programme, author, django_capture_on_commit_callbacks
):
    closed = cohort(programme, 9, allow_self_enrollment=False)
    employee = hire(capture=django_capture_on_commit_callbacks)
    enrollment = BatchEnrollment.objects.get(member=employee.user)
    assert (enrollment.batch, enrollment.created_by) == (closed, author)


def test_the_desk_records_who_saved_the_rule_as_its_author(client, programme):
    hr_manager = UserFactory(email="hr@example.com", roles=[Role.HR_MANAGER])
    client.force_login(hr_manager)
    answer = client.post(
        "/app/hr/onboardingrule/add/",
        {
            "name": "Joiners",
            "enabled": "on",
            "department": "",
            "designation": "",
            "employment_type": "",
            "joined_on_or_after": TODAY.isoformat(),
            "programme": programme.pk,
            "due_in_days": "30",
        },
    )
    assert answer.status_code == 302, answer.content.decode()[:2000]
    assert OnboardingRule.objects.get(name="Joiners").author == hr_manager
