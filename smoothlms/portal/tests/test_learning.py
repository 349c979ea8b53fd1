"""The learner's course pages: my courses, the outline, lessons (403 without access), Mark as
complete, the SCORM player's files. Query counts do not grow with the number of lessons."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from smoothlms.catalog.models import LessonKind
from smoothlms.catalog.tests.factories import BatchFactory, CourseFactory
from smoothlms.enrollment.models import CourseEnrollment, EnrollmentStatus, Source
from smoothlms.enrollment.services import enroll
from smoothlms.learning import services
from smoothlms.learning.models import LessonProgress, LessonStatus
from smoothlms.learning.samples import scorm_package_upload
from smoothlms.learning.selectors import get_outline
from smoothlms.learning.tests.factories import CourseEnrollmentFactory, LessonFactory, course_with_lessons
from smoothlms.people.tests.factories import UserFactory, moderator
from smoothlms.training.models import TrainingAssignment

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def course():
    course, _ = course_with_lessons(CourseFactory(name="safety", title="Safety at work"), chapters=2, per_chapter=2)
    return course


@pytest.fixture
def enrolled(learner, course):
    return CourseEnrollmentFactory(member=learner, course=course)


def queries_for(client, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured.captured_queries)


def test_my_courses_link_each_course_with_progress_cohort_and_due_date(signed_in, learner):
    course = CourseFactory(name="safety", title="Safety at work")
    batch = BatchFactory(name="spring", title="Spring cohort", courses=[course])
    enroll(batch=batch, member=learner, actor=moderator(), source=Source.DESK, notify=False)
    due = timezone.localdate() - dt.timedelta(days=2)
    TrainingAssignment.objects.create(user=learner, course=course, due_date=due)
    page = signed_in.get("/lms/courses").content.decode()
    assert '<a class="course-link" href="/lms/courses/safety">Safety at work</a>' in page
    assert '<a href="/lms/batches/spring">Spring cohort</a>' in page
    assert f"Overdue: {due:%-d %b %Y}" in page and "0%" in page


def test_the_cohort_page_links_to_its_courses(signed_in, batch):
    page = signed_in.get("/lms/batches/python-basics").content.decode()
    for link in batch.batch_courses.all():
        assert f'<a href="/lms/courses/{link.course.name}">{link.course.title}</a>' in page


def test_outline_shows_statuses_and_continue(signed_in, learner, course, enrolled):
    lessons = list(get_outline(course=course).lessons)
    services.mark_lesson_complete(member=learner, lesson=lessons[0], actor=learner)
    page = signed_in.get("/lms/courses/safety").content.decode()
    assert 'data-lesson="1-1" data-status="completed"' in page
    assert 'data-lesson="1-2" data-status="not_started"' in page
    assert '<a class="button primary" href="/lms/courses/safety/learn/1-2">Continue</a>' in page
    assert "25% complete" in page


def test_outline_without_access_lists_lessons_without_links(signed_in, course):
    page = signed_in.get("/lms/courses/safety").content.decode()
    assert "You are not enrolled in this course." in page
    assert "/lms/courses/safety/learn/" not in page


def test_a_lesson_opens_with_previous_next_and_mark_as_complete(signed_in, learner, course, enrolled):
    response = signed_in.get("/lms/courses/safety/learn/1-2")
    page = response.content.decode()
    assert response.status_code == 200
    assert 'href="/lms/courses/safety/learn/1-1" rel="prev"' in page
    assert 'href="/lms/courses/safety/learn/2-1" rel="next"' in page
    assert "Mark as complete" in page and "<em>text</em>" in page
    assert LessonProgress.objects.get(member=learner).status == LessonStatus.IN_PROGRESS


def test_mark_as_complete_goes_on_to_the_next_lesson_and_completes_the_course(signed_in, learner, course, enrolled):
    response = signed_in.post("/lms/courses/safety/learn/1-1/complete", {"then": "next"})
    assert response.status_code == 302 and response["Location"] == "/lms/courses/safety/learn/1-2"
    for number in ("1-2", "2-1", "2-2"):
        signed_in.post(f"/lms/courses/safety/learn/{number}/complete")
    page = signed_in.get("/lms/courses/safety/learn/2-2", follow=True).content.decode()
    assert "Course completed: Safety at work. Well done!" in page
    assert CourseEnrollment.objects.get(member=learner, course=course).progress == 100


@pytest.mark.parametrize("state", ["none", "cancelled"])
def test_lessons_answer_403_without_an_active_course_enrollment(signed_in, learner, course, state):
    if state == "cancelled":
        CourseEnrollmentFactory(member=learner, course=course, status=EnrollmentStatus.CANCELLED)
    response = signed_in.get("/lms/courses/safety/learn/1-1")
    assert response.status_code == 403
    assert "You are not enrolled in this course." in response.content.decode()
    assert 'data-code="not_enrolled_in_course"' in response.content.decode()
    assert signed_in.post("/lms/courses/safety/learn/1-1/complete").status_code == 403
    assert not LessonProgress.objects.exists()


def test_unknown_lessons_and_courses_are_404(signed_in, enrolled):
    assert signed_in.get("/lms/courses/safety/learn/9-1").status_code == 404
    assert signed_in.get("/lms/courses/nope").status_code == 404


def test_scorm_lesson_plays_its_package_from_the_same_origin(signed_in, learner, course, enrolled):
    chapter = course.chapters.get(position=2)
    lesson = services.create_lesson(course=course, chapter=chapter, title="Walk", kind=LessonKind.SCORM, actor=None)
    services.attach_scorm_package(lesson=lesson, upload=scorm_package_upload(), actor=None)
    services.commit_scorm_data(
        member=learner,
        lesson=lesson,
        cmi={"cmi.suspend_data": "visits=3", "cmi.core.lesson_location": "page-2"},
        actor=learner,
    )
    page = signed_in.get("/lms/courses/safety/learn/2-3").content.decode()
    assert "vendor/scorm-again/scorm12.min.js" in page and 'id="scorm-config"' in page
    assert f"/lms/scorm/{lesson.pk}/content/index.html" in page
    assert '"cmi.suspend_data": "visits=3"' in page and '"cmi.core.entry": "resume"' in page
    assert "Mark as complete" not in page
    asset = signed_in.get(f"/lms/scorm/{lesson.pk}/content/index.html")
    assert asset.status_code == 200 and asset["X-Frame-Options"] == "SAMEORIGIN"
    assert asset["Content-Type"].startswith("text/html")
    for escape in ("../../../../etc/passwd", "content/../../1/imsmanifest.xml", "%2e%2e/%2e%2e/secret"):
        assert signed_in.get(f"/lms/scorm/{lesson.pk}/{escape}").status_code == 404


def test_scorm_files_are_not_served_without_access(client, course):
    chapter = course.chapters.get(position=1)
    lesson = services.create_lesson(course=course, chapter=chapter, title="Walk", kind=LessonKind.SCORM, actor=None)
    services.attach_scorm_package(lesson=lesson, upload=scorm_package_upload(), actor=None)
    outsider = CourseEnrollmentFactory(course=course, status=EnrollmentStatus.CANCELLED).member
    client.force_login(outsider)
    assert client.get(f"/lms/scorm/{lesson.pk}/content/index.html").status_code == 404


def test_outline_and_lesson_pages_take_as_many_queries_at_200_lessons_as_at_3(signed_in, learner):
    small, small_lessons = course_with_lessons(CourseFactory(name="small"), chapters=1, per_chapter=3)
    big, big_lessons = course_with_lessons(CourseFactory(name="big"), chapters=10, per_chapter=20)
    for course, lessons in ((small, small_lessons), (big, big_lessons)):
        CourseEnrollmentFactory(member=learner, course=course)
        for lesson in lessons[:2]:
            services.mark_lesson_complete(member=learner, lesson=lesson, actor=learner)
        services.start_lesson(member=learner, lesson=lessons[2], actor=learner)
    assert queries_for(signed_in, "/lms/courses/big") == queries_for(signed_in, "/lms/courses/small")
    big_lesson = queries_for(signed_in, "/lms/courses/big/learn/1-3")
    assert big_lesson == queries_for(signed_in, "/lms/courses/small/learn/1-3")
    assert queries_for(signed_in, "/lms/courses") > 0


def test_a_video_lesson_embeds_its_video(signed_in, learner, course, enrolled):
    chapter = course.chapters.get(position=1)
    LessonFactory(
        chapter=chapter,
        position=3,
        kind=LessonKind.VIDEO,
        url="https://youtu.be/dQw4w9WgXcQ",
        body="<script>alert(1)</script> **Watch**",
    )
    page = signed_in.get("/lms/courses/safety/learn/1-3").content.decode()
    assert 'src="https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"' in page
    assert "<strong>Watch</strong>" in page and "<script>alert(1)</script>" not in page


def test_a_file_lessons_document_opens_for_learners_only(signed_in, client, learner, course, enrolled):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client

    chapter = course.chapters.get(position=1)
    pdf = LessonFactory(chapter=chapter, position=3, kind=LessonKind.FILE)
    services.attach_lesson_file(lesson=pdf, upload=SimpleUploadedFile("policy.pdf", b"%PDF-1.4"), actor=None)
    page = LessonFactory(chapter=chapter, position=4, kind=LessonKind.FILE)
    services.attach_lesson_file(
        lesson=page, upload=SimpleUploadedFile("page.html", b"<script>x()</script>"), actor=None
    )
    shown = signed_in.get(f"/lms/lesson-files/{pdf.pk}")
    assert shown.status_code == 200 and shown["Content-Disposition"].startswith("inline")
    assert b"".join(shown.streaming_content) == b"%PDF-1.4"
    html = signed_in.get(f"/lms/lesson-files/{page.pk}")
    assert html["Content-Disposition"].startswith("attachment")  # never rendered on our origin
    stranger = Client()
    stranger.force_login(UserFactory())
    assert stranger.get(f"/lms/lesson-files/{pdf.pk}").status_code == 404
