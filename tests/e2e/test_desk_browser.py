"""The desk in a real browser: a moderator enrolls with the dialog, imports a roster, and the
learning dashboard is captured as a test artifact."""

import datetime as dt
import random

import pytest
from django.utils import timezone

from smoothlms.catalog.tests.factories import BatchFactory, CourseFactory
from smoothlms.core.models import EnrollmentEvent
from smoothlms.enrollment.models import BatchEnrollment, Source
from smoothlms.enrollment.services import enroll
from smoothlms.people.roles import Role
from smoothlms.people.tests.factories import UserFactory
from smoothlms.training.models import TrainingAssignment

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

PASSWORD = "mod-pass-123"


@pytest.fixture
def moderator_signed_in(sign_in):
    UserFactory(email="mod@example.com", password=PASSWORD, roles=[Role.MODERATOR])
    sign_in("mod@example.com", PASSWORD)


def test_moderator_enrolls_two_members_with_the_dialog(page, moderator_signed_in):
    cohort = BatchFactory(name="new-hire-week-12", title="New Hire — Week 12", seat_count=5, courses=[CourseFactory()])
    asha, ben = UserFactory(email="asha@example.com"), UserFactory(email="ben@example.com")
    enroll(batch=cohort, member=ben, actor=None, source=Source.PORTAL)

    page.goto("/app/lms-batch/new-hire-week-12")
    assert page.locator("#roster").inner_text().count("ben@example.com") == 1
    page.locator("#roster").get_by_role("link", name="Enroll members").click()
    dialog = page.locator("#enroll-dialog")
    dialog.wait_for(state="visible")
    dialog.locator("textarea[name=emails]").fill("asha@example.com\nben@example.com")
    dialog.get_by_role("button", name="Enroll").click()
    page.wait_for_load_state("networkidle")

    table = page.locator("#enroll-result-table")
    assert table.locator("tr[data-status=created]").inner_text().startswith("asha@example.com")
    skipped = table.locator("tr[data-status=skipped]").inner_text()
    assert "ben@example.com is already enrolled for this cohort." in skipped
    assert "1 enrolled" in page.inner_text("#enroll-results") and "3 seats left of 5" in page.inner_text(
        "#enroll-results"
    )
    assert BatchEnrollment.objects.filter(batch=cohort, member=asha, source=Source.DESK).exists()


def test_moderator_imports_a_csv_and_sees_the_bad_rows_reason(page, moderator_signed_in, tmp_path):
    BatchFactory(name="security-basics", title="Security Basics")
    UserFactory(email="asha@example.com")
    csv_file = tmp_path / "roster.csv"
    csv_file.write_text(
        "Member;Batch\nasha@example.com;Security Basics\nnobody@example.com;security-basics\n", encoding="utf-8-sig"
    )

    page.goto("/app/lms-batch-enrollment/import")
    page.set_input_files("input[name=file]", str(csv_file))
    page.get_by_role("button", name="Preview").click()
    page.wait_for_load_state("networkidle")
    failed = page.locator("#import-rows tr[data-status=failed]")
    assert "No user with email nobody@example.com." in failed.inner_text()
    assert not BatchEnrollment.objects.exists()

    page.get_by_role("button", name="Apply: enroll 1 member").click()
    page.wait_for_load_state("networkidle")
    assert "Import applied: 1 enrolled, 0 skipped, 1 failed." in page.content()
    assert BatchEnrollment.objects.filter(member__email="asha@example.com", source=Source.IMPORT).exists()


def test_dashboard_screenshot(page, sign_in, artifacts_dir, settings, tmp_path):
    from smoothlms.demo.accounts import LOGINS
    from smoothlms.demo.data import load_demo

    settings.MEDIA_ROOT = tmp_path / "media"  # the demo's sample SCORM lesson
    load_demo()
    # Spread the demo's enrollments over the last weeks, as a real month of enrolling would; the
    # demo's learners Asha and Ben are late with their onboarding training.
    rng = random.Random(5)
    now = timezone.now()
    for pk in EnrollmentEvent.objects.filter(kind="enrolled").values_list("pk", flat=True):
        EnrollmentEvent.objects.filter(pk=pk).update(
            created_at=now - dt.timedelta(days=int(rng.triangular(0, 29, 3)), hours=rng.randint(0, 8))
        )
    assert TrainingAssignment.objects.filter(due_date__lt=timezone.localdate()).count() == 2
    email, password = next((e, p) for e, p, roles, _name in LOGINS if Role.MODERATOR in roles)
    sign_in(email, password)
    page.goto("/desk/learning")
    assert page.locator("svg.desk-chart").count() == 2
    assert "2 assignments past their due date" in page.content()
    assert "Seats by cohort" in page.content() and "Enrollments per day" in page.content()
    path = artifacts_dir / "desk-dashboard.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000
