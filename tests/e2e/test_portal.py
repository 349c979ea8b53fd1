"""The learner's steps of the help guide, in a real browser: find a cohort, enroll, see the result."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from smoothlms.catalog.tests.factories import BatchFactory, CourseFactory, LiveClassFactory
from smoothlms.enrollment.models import BatchEnrollment, Source
from smoothlms.enrollment.services import enroll
from smoothlms.people.tests.factories import UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

PASSWORD = "learner-pass-123"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}


def seats(page, name: str) -> str:
    return page.locator(f"[data-cohort={name}] [data-seats]").inner_text()


@pytest.fixture
def catalog():
    today = timezone.localdate()
    python = BatchFactory(
        name="python-basics",
        title="Python Basics for Analysts",
        seat_count=3,
        timezone="Asia/Kolkata",
        start_date=today + dt.timedelta(days=12),
        start_time=dt.time(9, 30),
        end_date=today + dt.timedelta(days=40),
        description="Six weeks of Python for the finance and operations teams.\n\n"
        "Bring a laptop with Python 3.11 installed; we pair up for every exercise.",
        courses=[CourseFactory(title="Python fundamentals"), CourseFactory(title="Working with data")],
    )
    LiveClassFactory(batch=python, title="Kick-off and setup", date=python.start_date, time=dt.time(10))
    LiveClassFactory(
        batch=python,
        title="Pandas clinic",
        date=python.start_date + dt.timedelta(days=7),
        time=dt.time(15),
        duration=60,
    )
    BatchFactory(
        name="leadership",
        title="New Managers: Leading a Team",
        seat_count=1,
        start_date=today + dt.timedelta(days=5),
        timezone="America/New_York",
        description="Feedback, one-to-ones and delegation for first-time managers.",
    )
    BatchFactory(
        name="security",
        title="Security Awareness 2026",
        seat_count=None,
        start_date=today + dt.timedelta(days=20),
        description="Phishing, passwords and reporting.",
    )
    BatchFactory(
        name="onboarding",
        title="New Hire — Week 12",
        seat_count=0,
        start_date=today - dt.timedelta(days=2),
        end_date=today + dt.timedelta(days=12),
        description="The onboarding cohort for this month's starters.",
    )
    return python


def test_learner_enrolls_sees_the_seat_taken_and_cannot_enroll_twice(page, sign_in, artifacts_dir, catalog):
    learner = UserFactory(email="ada@example.com", full_name="Ada Lovelace", password=PASSWORD)
    sign_in("ada@example.com", PASSWORD)
    assert page.url.endswith("/lms/batches")
    assert seats(page, "python-basics") == "3 Seats Left"
    assert seats(page, "leadership") == "1 Seat Left"
    assert seats(page, "onboarding") == "Sold Out"
    assert seats(page, "security") == "Open seats"
    page.screenshot(path=str(artifacts_dir / "portal-list-desktop.png"), full_page=True)
    page.set_viewport_size(PHONE)
    page.screenshot(path=str(artifacts_dir / "portal-list-phone.png"), full_page=True)
    page.set_viewport_size(DESKTOP)

    # A second tab on the same cohort, opened before enrolling: its Enroll button re-posts later.
    stale_tab = page.context.new_page()
    stale_tab.goto("/lms/batches/python-basics")

    page.click("text=Python Basics for Analysts")
    page.wait_for_url("**/lms/batches/python-basics")
    assert "Asia/Kolkata" in page.inner_text(".enroll-box")
    page.screenshot(path=str(artifacts_dir / "portal-detail-desktop.png"), full_page=True)
    page.set_viewport_size(PHONE)
    page.screenshot(path=str(artifacts_dir / "portal-detail-phone.png"), full_page=True)
    page.set_viewport_size(DESKTOP)

    page.get_by_role("button", name="Enroll").click()
    page.wait_for_load_state("networkidle")
    assert page.inner_text(".messages") == "Welcome aboard: you are now enrolled in Python Basics for Analysts."
    assert page.inner_text("[data-status]") == "You are enrolled in this cohort."
    assert page.get_by_role("button", name="Enroll").count() == 0
    page.screenshot(path=str(artifacts_dir / "portal-detail-enrolled-desktop.png"), full_page=True)

    page.goto("/lms/batches")
    assert seats(page, "python-basics") == "2 Seats Left"
    assert page.locator("[data-cohort=python-basics] [data-enrolled]").inner_text() == "Enrolled"

    stale_tab.get_by_role("button", name="Enroll").click()
    stale_tab.wait_for_load_state("networkidle")
    assert stale_tab.inner_text(".messages") == "You are already enrolled for this cohort."
    assert BatchEnrollment.objects.filter(member=learner).count() == 1

    page.goto("/lms/courses")
    assert "Python fundamentals" in page.inner_text("main") and "Working with data" in page.inner_text("main")
    page.set_viewport_size(PHONE)
    page.screenshot(path=str(artifacts_dir / "portal-courses-phone.png"), full_page=True)
    page.set_viewport_size(DESKTOP)
    page.goto("/lms/timetable")
    assert "Kick-off and setup" in page.inner_text("main")
    page.screenshot(path=str(artifacts_dir / "portal-timetable-desktop.png"), full_page=True)


def test_another_learner_on_a_full_cohort_sees_cohort_full(page, sign_in, artifacts_dir, catalog):
    first = UserFactory(email="grace@example.com")
    UserFactory(email="alan@example.com", password=PASSWORD)
    sign_in("alan@example.com", PASSWORD)
    page.goto("/lms/batches/leadership")
    assert page.inner_text("[data-seats]") == "1 Seat Left"
    # Someone else takes the last seat while this page is open.
    enroll(batch=catalog.__class__.objects.get(name="leadership"), member=first, actor=first, source=Source.PORTAL)
    page.get_by_role("button", name="Enroll").click()
    page.wait_for_load_state("networkidle")
    assert page.inner_text(".messages") == "This cohort is full."
    assert page.inner_text("[data-seats]") == "Sold Out"
    assert page.inner_text("[data-status]") == "This cohort is full."
    page.set_viewport_size(PHONE)
    page.screenshot(path=str(artifacts_dir / "portal-detail-full-phone.png"), full_page=True)


def test_times_show_in_the_browsers_zone_when_the_learner_chose_none(chromium, live_server, catalog):
    UserFactory(email="tokyo@example.com", password=PASSWORD)
    context = chromium.new_context(base_url=live_server.url, viewport=PHONE, timezone_id="Asia/Tokyo")
    page = context.new_page()
    try:
        page.goto("/login")
        page.fill("input[name=username]", "tokyo@example.com")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.goto("/lms/batches/python-basics")
        # 09:30 in Kolkata (UTC+05:30) is 13:00 in Tokyo (UTC+09:00).
        start = catalog.start_date
        expected = f"Your time: {start:%a} {start.day} {start:%b %Y}, 13:00 Asia/Tokyo"
        assert page.locator(".enroll-box .yours").first.inner_text() == expected
    finally:
        context.close()


def test_learner_picks_a_time_zone_on_the_profile_page(page, sign_in, artifacts_dir, catalog):
    UserFactory(email="lin@example.com", password=PASSWORD)
    sign_in("lin@example.com", PASSWORD)
    page.goto("/lms/profile")
    page.get_by_label("Your time zone").select_option("Europe/London")
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state("networkidle")
    assert page.inner_text(".messages") == "Times are now also shown in Europe/London."
    page.set_viewport_size(PHONE)
    page.screenshot(path=str(artifacts_dir / "portal-profile-phone.png"), full_page=True)
    page.goto("/lms/batches/python-basics")
    assert "Europe/London" in page.locator(".enroll-box .yours").first.inner_text()
