"""A learner joins the waitlist of a full cohort in a real browser, sees the position, and after a
moderator cancels someone else sees the seat and the cohort's courses."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from smoothlms.catalog.tests.factories import BatchFactory, CourseFactory
from smoothlms.enrollment.models import BatchEnrollment, Source
from smoothlms.enrollment.services import cancel_enrollment, enroll
from smoothlms.people.tests.factories import UserFactory, moderator

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

PASSWORD = "learner-pass-123"


def test_learner_waits_in_line_and_gets_the_seat(page, sign_in, artifacts_dir):
    today = timezone.localdate()
    batch = BatchFactory(
        name="excel-deep-dive",
        title="Excel Deep Dive",
        seat_count=1,
        waitlist_enabled=True,
        start_date=today + dt.timedelta(days=10),
        end_date=today + dt.timedelta(days=30),
        courses=[CourseFactory(title="Pivot tables"), CourseFactory(title="Power Query")],
    )
    seated = UserFactory(email="first@example.com")
    enroll(batch=batch, member=seated, actor=None, source=Source.DESK)
    UserFactory(email="ada@example.com", full_name="Ada Lovelace", password=PASSWORD)

    sign_in("ada@example.com", PASSWORD)
    page.goto("/lms/batches/excel-deep-dive")
    page.get_by_role("button", name="Join the waitlist").click()
    page.wait_for_load_state("networkidle")
    status = page.locator("[data-status]")
    assert status.inner_text() == "You are on the waitlist (position 1)."
    page.screenshot(path=str(artifacts_dir / "waitlist-position.png"), full_page=True)

    cancel_enrollment(batch=batch, member=seated, actor=moderator(email="mod@example.com"), reason="Moved team")
    assert BatchEnrollment.objects.get(batch=batch, member__email="ada@example.com").status == "active"

    page.reload()
    assert status.inner_text() == "You are enrolled in this cohort."
    page.goto("/lms/courses")
    courses = page.locator("table.my-courses")
    assert "Pivot tables" in courses.inner_text() and "Power Query" in courses.inner_text()
    assert page.locator("[data-waitlisted]").count() == 0
    page.screenshot(path=str(artifacts_dir / "waitlist-promoted-courses.png"), full_page=True)
