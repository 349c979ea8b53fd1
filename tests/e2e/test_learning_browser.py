"""Course content in a real browser: SCORM 1.2 and 2004 packages played through the portal (the
lesson and the course complete; suspend data survives a reload), and a learner enrolled by a
moderator who works through a course from "My courses" to 100% and a closed training assignment."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from smoothlms.catalog.models import LessonKind, ScormVersion
from smoothlms.catalog.tests.factories import BatchFactory, CourseFactory
from smoothlms.enrollment.models import CourseEnrollment, Source
from smoothlms.enrollment.services import enroll
from smoothlms.learning import services
from smoothlms.learning.models import LessonProgress, LessonStatus
from smoothlms.learning.samples import build_sample_content, scorm_package_upload
from smoothlms.people.tests.factories import UserFactory, moderator
from smoothlms.training.models import AssignmentStatus, TrainingAssignment

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

PASSWORD = "learner-pass-123"
RUNTIME = Path(settings.BASE_DIR) / "portal" / "static" / "vendor" / "scorm-again"


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _runtime_installed():
    if not (RUNTIME / "scorm12.min.js").exists():
        pytest.fail("the SCORM runtime is missing: run `make scorm-runtime` (npm ci)")


def scorm_course(version: str):
    course = CourseFactory(name=f"walk-{version.replace('.', '')}", title=f"Safety walk (SCORM {version})")
    chapter = services.create_chapter(course=course, title="The walk", actor=None)
    lesson = services.create_lesson(
        course=course, chapter=chapter, title="Walk the floor", kind=LessonKind.SCORM, actor=None
    )
    services.attach_scorm_package(
        lesson=lesson, upload=scorm_package_upload(version=version, title="Walk the floor"), actor=None
    )
    return course, lesson


@pytest.mark.parametrize("version", [ScormVersion.SCORM_12, ScormVersion.SCORM_2004])
def test_a_scorm_package_plays_resumes_and_completes(page, sign_in, artifacts_dir, version):
    course, lesson = scorm_course(version)
    learner = UserFactory(email="ada@example.com", password=PASSWORD)
    CourseEnrollment.objects.create(member=learner, course=course)
    sign_in("ada@example.com", PASSWORD)

    page.goto(f"/lms/courses/{course.name}/learn/1-1")
    frame = page.frame_locator("#scorm-frame")
    assert frame.locator("#visits").inner_text() == "Visit 1"
    page.wait_for_function("document.body.dataset.scormCommits >= 1")
    saved = LessonProgress.objects.get(member=learner, lesson=lesson)
    assert saved.scorm_data["cmi.suspend_data"] == "visits=1" and saved.status == LessonStatus.IN_PROGRESS

    page.reload()
    assert frame.locator("#visits").inner_text() == "Visit 2"  # the suspend data came back
    location = "cmi.core.lesson_location" if version == ScormVersion.SCORM_12 else "cmi.location"
    assert LessonProgress.objects.get(pk=saved.pk).scorm_data[location] == "page-1"
    page.screenshot(path=str(artifacts_dir / f"learning-scorm-{version.replace('.', '')}-lesson.png"), full_page=True)

    frame.get_by_role("button", name="I have finished").click()
    page.wait_for_selector("body[data-course-completed=true]")
    assert page.inner_text("[data-lesson-status]") == "Completed"
    assert page.inner_text("[data-course-progress]") == "100"
    done = LessonProgress.objects.get(pk=saved.pk)
    assert done.status == LessonStatus.COMPLETED and done.score == 100
    enrollment = CourseEnrollment.objects.get(member=learner, course=course)
    assert enrollment.progress == 100 and enrollment.completed_at is not None

    page.goto(f"/lms/courses/{course.name}")
    assert page.get_attribute("[data-lesson='1-1']", "data-status") == "completed"
    assert "100% complete" in page.inner_text("main")


def test_a_learner_works_through_a_course_from_my_courses_to_completion(page, sign_in, artifacts_dir):
    course = CourseFactory(name="welcome", title="Welcome to the company")
    lessons = build_sample_content(course=course, outline="welcome", actor=None)
    batch = BatchFactory(name="new-hires", title="New hires, spring", courses=[course])
    learner = UserFactory(email="grace@example.com", full_name="Grace Hopper", password=PASSWORD)
    enroll(batch=batch, member=learner, actor=moderator(), source=Source.DESK, notify=False)
    due = timezone.localdate() + dt.timedelta(days=14)
    assignment = TrainingAssignment.objects.create(user=learner, course=course, due_date=due)
    sign_in("grace@example.com", PASSWORD)

    page.goto("/lms/courses")
    row = page.locator("[data-course=welcome]")
    assert "New hires, spring" in row.inner_text() and due.strftime("%-d %b %Y") in row.inner_text()
    assert row.locator("[data-progress]").inner_text().strip() == "0%"
    row.get_by_role("link", name="Welcome to the company").click()
    page.wait_for_url("**/lms/courses/welcome")
    page.screenshot(path=str(artifacts_dir / "learning-outline.png"), full_page=True)

    page.get_by_role("link", name="Start").click()
    page.wait_for_url("**/learn/1-1")
    assert "Work through the lessons" in page.inner_text(".lesson-body")
    page.get_by_role("button", name="Mark as complete").click()
    page.wait_for_url("**/learn/1-2")  # on to the next lesson
    assert "Lesson completed. Course progress: 25%." in page.inner_text(".messages")
    page.get_by_role("button", name="Mark as complete").click()
    page.wait_for_url("**/learn/2-1")
    page.get_by_role("button", name="Mark as complete").click()
    page.wait_for_url("**/learn/2-2")
    frame = page.frame_locator("#scorm-frame")
    assert frame.locator("#visits").inner_text() == "Visit 1"
    assert page.get_by_role("button", name="Mark as complete").count() == 0
    page.screenshot(path=str(artifacts_dir / "learning-scorm-lesson.png"), full_page=True)
    frame.get_by_role("button", name="I have finished").click()
    page.wait_for_selector("body[data-course-completed=true]")

    page.goto("/lms/courses")
    row = page.locator("[data-course=welcome]")
    assert row.locator("[data-progress]").inner_text().strip() == "100%"
    assert "Completed" in row.locator("[data-due]").inner_text()
    assert row.locator("[data-assignment]").inner_text() == "Training assignment closed"
    page.screenshot(path=str(artifacts_dir / "learning-my-courses-completed.png"), full_page=True)
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.COMPLETED and assignment.completed_at is not None
    assert [lesson.pk for lesson in lessons] == list(
        LessonProgress.objects.filter(member=learner, status=LessonStatus.COMPLETED)
        .order_by("lesson__chapter__position", "lesson__position")
        .values_list("lesson_id", flat=True)
    )
