"""Authoring course content in the desk with a real browser: chapters and lessons added and moved,
a lesson's Markdown previewed, and the cohort's progress heat table."""

from __future__ import annotations

import pytest
from django.urls import reverse

from smoothlms.catalog.models import Lesson
from smoothlms.catalog.tests.factories import BatchFactory, CourseFactory
from smoothlms.enrollment.models import Source
from smoothlms.enrollment.services import enroll
from smoothlms.learning import services
from smoothlms.learning.samples import build_sample_content
from smoothlms.people.roles import Role
from smoothlms.people.tests.factories import UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

PASSWORD = "creator-pass-123"


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_a_course_creator_builds_a_course_and_previews_markdown(page, sign_in, artifacts_dir):
    course = CourseFactory(name="first-aid", title="First aid")
    UserFactory(email="creator@example.com", password=PASSWORD, roles=[Role.COURSE_CREATOR])
    sign_in("creator@example.com", PASSWORD)
    page.goto(reverse("admin:catalog_course_change", args=[course.pk]))
    page.fill("#new-chapter", "Emergencies")
    page.get_by_role("button", name="Add chapter").click()
    for title in ("Calling for help", "Recovery position"):
        page.fill("#new-lesson", title)
        page.get_by_role("button", name="Add lesson").click()
        page.wait_for_url("**/content/lessons/*/")
        page.goto(reverse("admin:catalog_course_change", args=[course.pk]))
    page.get_by_role("button", name="Move Recovery position up").click()
    page.wait_for_load_state("networkidle")
    assert [lesson.title for lesson in Lesson.objects.order_by("position")] == ["Recovery position", "Calling for help"]
    page.screenshot(path=str(artifacts_dir / "learning-desk-course-content.png"), full_page=True)

    page.get_by_role("link", name="Calling for help").click()
    page.fill(
        "textarea[name=body]", "## Call 112\n\n1. Stay calm\n2. **Say where you are**\n\n<script>alert(1)</script>"
    )
    page.get_by_role("button", name="Preview").click()
    page.wait_for_selector("#preview[data-previewed=true]")
    assert page.inner_html("#preview").count("<strong>Say where you are</strong>") == 1
    assert "<script>" not in page.inner_html("#preview")
    page.screenshot(path=str(artifacts_dir / "learning-desk-lesson-preview.png"), full_page=True)
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state("networkidle")
    assert Lesson.objects.get(title="Calling for help").body.startswith("## Call 112")


def test_the_cohort_page_shows_the_progress_heat_table(page, sign_in, artifacts_dir):
    course = CourseFactory(name="welcome", title="Welcome to the company")
    lessons = build_sample_content(course=course, outline="welcome", actor=None)
    batch = BatchFactory(name="spring", title="Spring starters", courses=[course, CourseFactory(title="Security")])
    for index in range(4):
        member = UserFactory(email=f"learner{index}@example.com")
        enroll(batch=batch, member=member, actor=None, source=Source.DESK, notify=False)
        for lesson in lessons[: index + 1]:
            services.complete_lesson(member=member, lesson=lesson, actor=None)
    UserFactory(email="mod@example.com", password=PASSWORD, roles=[Role.MODERATOR])
    sign_in("mod@example.com", PASSWORD)
    page.goto(reverse("admin:catalog_batch_change", args=[batch.pk]))
    heat = page.locator("#progress")
    assert heat.locator("td[data-member='learner3@example.com'][data-course=welcome]").inner_text() == "100%"
    assert heat.locator("td[data-member='learner0@example.com'][data-course=welcome]").inner_text() == "25%"
    heat.screenshot(path=str(artifacts_dir / "learning-desk-heat-table.png"))
    page.goto("/desk/learning")
    assert page.locator("#completions").inner_text().count("1 in total") == 1
