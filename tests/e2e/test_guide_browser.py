"""The guide's "HR enrolls new hire class", step by step in a real browser on the demo organisation:
a moderator filters the Employee list to next Monday's starters and exports it, opens the cohort
at /app/lms-batch/<name>, imports that very export through the roster import (preview, then
apply), and one of the new hires, once their password is set, sees the live class on their
timetable. Screenshots in test-artifacts/guide-*.png."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.utils import timezone

from smoothlms.catalog.models import Batch
from smoothlms.demo.data import MONDAY_COHORT, NEW_HIRES, next_monday
from smoothlms.enrollment.models import BatchEnrollment, EnrollmentStatus
from smoothlms.people.models import Employee, User

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


@pytest.fixture
def demo(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("demo")


def shoot(page, path) -> None:
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000


def test_hr_enrolls_the_new_hire_class_and_a_learner_sees_the_live_class(
    demo, chromium, live_server, page, sign_in, artifacts_dir, tmp_path
):
    monday = next_monday(timezone.localdate()).isoformat()
    cohort = Batch.objects.get(title=MONDAY_COHORT)
    sign_in("moderator@example.com", "moderator-demo-1")

    # 1. HR exports Monday starters from Employee records.
    page.goto("/app/employee")
    panel = page.locator("form.desk-range-filter")
    panel.locator("input[name=date_of_joining__gte]").fill(monday)
    panel.locator("input[name=date_of_joining__lte]").fill(monday)
    panel.get_by_role("button", name="Apply").click()
    page.wait_for_load_state("networkidle")
    assert f"date_of_joining__gte={monday}" in page.url
    table = page.inner_text("#result_list")
    assert all(name in table for name in NEW_HIRES)
    assert page.locator("#result_list tbody tr").count() == len(NEW_HIRES)
    shoot(page, artifacts_dir / "guide-employee-list.png")
    with page.expect_download() as download:
        page.get_by_role("link", name="Export CSV").click()
    export = tmp_path / "monday-starters.csv"
    download.value.save_as(export)
    assert len(export.read_text(encoding="utf-8-sig").strip().splitlines()) == 1 + len(NEW_HIRES)

    # 2. L&D opens the cohort and imports the export as it is.
    page.goto("/app/lms-batch")
    page.get_by_role("link", name=MONDAY_COHORT).click()
    page.wait_for_load_state("networkidle")
    assert page.url.endswith(f"/app/lms-batch/{cohort.name}")
    page.locator("#content-main").get_by_role("link", name="Import roster").click()
    page.wait_for_load_state("networkidle")
    form = page.locator("#import-form")
    assert form.locator("select[name=batch]").input_value() == cohort.name
    form.locator("input[name=file]").set_input_files(str(export))
    form.get_by_role("button", name="Preview").click()
    page.wait_for_load_state("networkidle")
    assert f"{len(NEW_HIRES)} will be enrolled" in page.inner_text("#import-report")
    assert page.locator("#import-rows tbody tr[data-status=created]").count() == len(NEW_HIRES)
    assert not BatchEnrollment.objects.filter(batch=cohort).exists()  # a preview writes nothing
    shoot(page, artifacts_dir / "guide-import-preview.png")
    page.get_by_role("button", name=f"Apply: enroll {len(NEW_HIRES)} members").click()
    page.wait_for_load_state("networkidle")
    assert f"Import applied: {len(NEW_HIRES)} enrolled, 0 skipped, 0 failed." in page.inner_text("body")
    joiners = Employee.objects.filter(date_of_joining=monday).values_list("user_id", flat=True)
    enrolled = BatchEnrollment.objects.filter(batch=cohort, status=EnrollmentStatus.ACTIVE)
    assert set(enrolled.values_list("member_id", flat=True)) == set(joiners)

    # 3. The live class appears on a new hire's timetable, once they have set their password.
    learner = User.objects.get(email="noor.abbasi@example.com")
    learner.set_password("noor-first-day-1")
    learner.save()
    page.context.clear_cookies()
    sign_in(learner.email, "noor-first-day-1")
    page.goto("/lms/timetable")
    body = page.inner_text("main")
    assert f"{MONDAY_COHORT}: session 1" in body and MONDAY_COHORT in body
    shoot(page, artifacts_dir / "guide-timetable.png")
