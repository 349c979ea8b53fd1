"""Desk pages of the HR integration."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from smoothlms.catalog.tests.factories import CourseFactory
from smoothlms.hr.models import HRSyncRun, OnboardingRule
from smoothlms.hr.selectors import get_hr_sync_status
from smoothlms.hr.services import provision_employee
from smoothlms.hr.tests.factories import record
from smoothlms.people.models import Employee
from smoothlms.people.roles import Role
from smoothlms.people.tests.factories import UserFactory
from smoothlms.training.models import TrainingAssignment

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


@pytest.fixture
def hr_manager(client):
    user = UserFactory(email="hr@example.com", roles=[Role.HR_MANAGER])
    client.force_login(user)
    return user


def test_employee_list_shows_status_linked_user_and_last_hr_sync(
    client, hr_manager, settings, django_assert_max_num_queries
):
    settings.HRMS_URL = "http://hrms.example.com"
    for n in range(5):
        provision_employee(record=record(f"HR-{n}", company_email=f"p{n}@example.com"), actor=None, source="api")
    HRSyncRun.objects.create(
        status=HRSyncRun.Status.FAILED,
        finished_at=timezone.now(),
        error="Failed: HTTP 500 from http://hrms.example.com",
    )
    with django_assert_max_num_queries(20):
        page = client.get("/app/employee", follow=True)
    html = page.content.decode()
    assert page.status_code == 200
    assert "p3@example.com" in html and "Active" in html
    assert "HR sync failing (1 run(s) in a row): Failed: HTTP 500 from http://hrms.example.com" in html


def test_saving_an_employee_in_the_desk_provisions_the_user(client, hr_manager):
    answer = client.post(
        "/app/people/employee/add/",
        {
            "employee": "HR-9",
            "employee_name": "Desk Hire",
            "company_email": "Desk.Hire@Example.com",
            "status": "Active",
            "date_of_joining": "2025-01-06",
        },
    )
    assert answer.status_code == 302, answer.content.decode()[:3000]
    employee = Employee.objects.get(employee="HR-9")
    assert employee.user.email == "desk.hire@example.com"
    assert employee.user.role_names == {Role.LMS_STUDENT}


def test_the_desk_shows_a_user_linked_twice_on_the_form(client, hr_manager):
    provision_employee(record=record("HR-1", company_email="a@example.com"), actor=None, source="api")
    answer = client.post(
        "/app/people/employee/add/",
        {"employee": "HR-2", "employee_name": "Twin", "personal_email": "a@example.com", "status": "Active"},
    )
    assert answer.status_code == 200
    assert "The user a@example.com is already linked to the active employee HR-1." in answer.content.decode()
    assert not Employee.objects.filter(employee="HR-2").exists()


def test_training_assignment_list_filters_overdue(client, hr_manager):
    late_user, fine_user = UserFactory(email="late@example.com"), UserFactory(email="fine@example.com")
    course = CourseFactory()
    TrainingAssignment.objects.create(user=late_user, course=course, due_date=TODAY - dt.timedelta(days=2))
    TrainingAssignment.objects.create(user=fine_user, course=course, due_date=TODAY + dt.timedelta(days=2))
    page = client.get("/app/lms-training-assignment?overdue=yes", follow=True)
    html = page.content.decode()
    assert page.status_code == 200
    assert "late@example.com" in html and "fine@example.com" not in html


def test_hr_manager_creates_an_onboarding_rule(client, hr_manager):
    programme, security = CourseFactory(name="new-hire"), CourseFactory(name="security")
    answer = client.post(
        "/app/hr/onboardingrule/add/",
        {
            "name": "Joiners",
            "enabled": "on",
            "department": "Engineering",
            "designation": "",
            "employment_type": "",
            "joined_on_or_after": TODAY.isoformat(),
            "programme": programme.pk,
            "mandatory_courses": [security.pk],
            "due_in_days": "30",
        },
    )
    assert answer.status_code == 302, answer.content.decode()[:2000]
    rule = OnboardingRule.objects.get()
    assert (rule.programme, list(rule.mandatory_courses.all())) == (programme, [security])
    assert client.get(f"/app/hr/onboardingrule/{rule.pk}/change/").status_code == 200


def test_user_list_still_works(client, hr_manager):
    page = client.get("/app/user", follow=True)
    assert page.status_code == 200 and "hr@example.com" in page.content.decode()


def test_sync_status_selector_reads_in_two_queries(django_assert_num_queries, settings):
    settings.HRMS_URL = "http://hrms.example.com"
    HRSyncRun.objects.create(status=HRSyncRun.Status.SUCCEEDED, finished_at=timezone.now(), fetched=3, changed=1)
    with django_assert_num_queries(2):
        status = get_hr_sync_status()
        assert status.message.startswith("HR sync OK: ") and status.message.endswith(", 3 fetched, 1 changed.")
    settings.HRMS_URL = ""
    assert get_hr_sync_status().message == "HR sync is not configured (HRMS_URL is not set)."
