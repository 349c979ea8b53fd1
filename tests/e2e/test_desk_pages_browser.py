"""The desk's addresses in a real browser: the 403 page a student gets, the Employee list filtered
by a date-of-joining range and department, and a cohort's page at /app/lms-batch/<name>. Each is
captured in test-artifacts/."""

import datetime as dt

import pytest

from smoothlms.catalog.tests.factories import BatchFactory, CourseFactory, LiveClassFactory
from smoothlms.enrollment.services import bulk_enroll
from smoothlms.hr.services import provision_employee
from smoothlms.hr.tests.factories import record
from smoothlms.people.roles import Role
from smoothlms.people.tests.factories import UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

PASSWORD = "desk-pass-123"


def test_a_student_gets_the_desks_403_page(page, sign_in, artifacts_dir):
    UserFactory(email="student@example.com", password=PASSWORD)
    sign_in("student@example.com", PASSWORD)
    response = page.goto("/app/lms-batch")
    assert response.status == 403 and page.url.endswith("/app/lms-batch")
    card = page.locator("#access-denied")
    assert card.get_by_role("heading", name="You cannot open this page").is_visible()
    assert "System Manager" in page.inner_text("#denied-roles") and "Moderator" in page.inner_text("#denied-roles")
    assert page.locator(".desk-nav").count() == 0
    path = artifacts_dir / "desk-403.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 5_000


def test_anonymous_visitors_land_on_the_login_page_and_return_to_the_address(page):
    UserFactory(email="sm@example.com", password=PASSWORD, roles=[Role.SYSTEM_MANAGER])
    page.goto("/app/employee")
    assert "/login?next=/app/employee" in page.url
    page.fill("input[name=username]", "sm@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("/app/employee")


def test_employee_list_filtered_by_joining_dates_and_department(page, sign_in, artifacts_dir):
    UserFactory(email="hr@example.com", password=PASSWORD, roles=[Role.HR_MANAGER])
    joiners = [
        ("HR-101", "Asha Rao", "Engineering", "Full-time", dt.date(2025, 1, 6)),
        ("HR-102", "Ben Ode", "Engineering", "Intern", dt.date(2025, 2, 3)),
        ("HR-103", "Chen Wu", "Engineering", "Full-time", dt.date(2024, 5, 20)),
        ("HR-104", "Dara Byrne", "Sales", "Full-time", dt.date(2025, 1, 13)),
        ("HR-105", "Eli Moss", "Sales", "Contract", dt.date(2025, 3, 3)),
    ]
    for hr_id, name, department, kind, joined in joiners:
        provision_employee(
            record=record(
                hr_id,
                employee_name=name,
                department=department,
                employment_type=kind,
                company_email=f"{name.split()[0].lower()}@corp.example",
                designation="Analyst",
                date_of_joining=joined,
            ),
            actor=None,
            source="api",
        )
    sign_in("hr@example.com", PASSWORD)
    page.goto("/app/employee?department=Engineering")
    panel = page.locator("form.desk-range-filter")
    panel.locator("input[name=date_of_joining__gte]").fill("2025-01-01")
    panel.locator("input[name=date_of_joining__lte]").fill("2025-03-31")
    panel.get_by_role("button", name="Apply").click()
    page.wait_for_load_state("networkidle")
    assert "department=Engineering" in page.url and "date_of_joining__gte=2025-01-01" in page.url
    table = page.inner_text("#result_list")
    assert "Asha Rao" in table and "Ben Ode" in table
    assert "Chen Wu" not in table and "Dara Byrne" not in table
    csv_link = page.get_by_role("link", name="Export CSV")
    assert "date_of_joining__gte=2025-01-01" in csv_link.get_attribute("href")
    with page.expect_download() as download:
        csv_link.click()
    text = open(download.value.path(), encoding="utf-8-sig").read()
    assert text.splitlines()[0].startswith("ID,Full Name,Company Email,Personal Email,User ID,Status,Date of Joining")
    assert "HR-101" in text and "HR-102" in text and "HR-103" not in text
    path = artifacts_dir / "desk-employee-list.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000


def test_the_cohort_page_at_its_address(page, sign_in, artifacts_dir):
    UserFactory(email="mod@example.com", password=PASSWORD, roles=[Role.MODERATOR])
    cohort = BatchFactory(
        name="new-hire-week-12",
        title="New Hire — Week 12",
        seat_count=8,
        courses=[CourseFactory(title="Company Basics"), CourseFactory(title="Security Awareness")],
    )
    LiveClassFactory(batch=cohort, title="Welcome session")
    people = [
        UserFactory(email=f"{first.lower()}@corp.example", full_name=f"{first} {last}")
        for first, last in [("Asha", "Rao"), ("Ben", "Ode"), ("Chen", "Wu"), ("Dara", "Byrne")]
    ]
    bulk_enroll(batch=cohort, members=[p.email for p in people], actor=None, source="desk", notify=False)
    sign_in("mod@example.com", PASSWORD)
    page.goto("/app/lms-batch")
    page.get_by_role("link", name="New Hire — Week 12").click()
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("/app/lms-batch/new-hire-week-12")
    roster = page.inner_text("#roster")
    assert "4 active" in roster and "4 seats left" in roster and "asha@corp.example" in roster
    crumbs = page.locator(".breadcrumbs a")
    assert "/app/lms-batch" in [crumbs.nth(i).get_attribute("href") for i in range(crumbs.count())]
    path = artifacts_dir / "desk-cohort.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000
