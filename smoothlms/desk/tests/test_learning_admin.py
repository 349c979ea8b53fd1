"""Course content in the desk: the course page's Content section (chapters and lessons in order,
up/down, add, delete), the lesson page (Markdown preview, SCORM package upload), the cohort page's
progress heat table and the dashboard's completions per week."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from smoothlms.catalog.models import Chapter, Lesson, LessonKind
from smoothlms.catalog.tests.factories import BatchFactory, CourseFactory
from smoothlms.desk.tests.conftest import messages_of
from smoothlms.enrollment.models import Source
from smoothlms.enrollment.services import enroll
from smoothlms.learning import services
from smoothlms.learning.samples import scorm_package_upload, zip_bytes
from smoothlms.learning.tests.factories import course_with_lessons
from smoothlms.people.roles import Role
from smoothlms.people.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def creator_client(client, db):
    client.force_login(UserFactory(email="creator@example.com", roles=[Role.COURSE_CREATOR]))
    return client


def course_page(course) -> str:
    return reverse("admin:catalog_course_change", args=[course.pk])


def content_url(course, kind: str, *args) -> str:
    return reverse(f"admin:catalog_course_content_{kind}", args=[course.pk, *args])


def order(chapter) -> list[str]:
    return list(Lesson.objects.filter(chapter=chapter).order_by("position").values_list("title", flat=True))


def test_the_course_page_lists_chapters_and_lessons_in_order(creator_client):
    course, lessons = course_with_lessons(CourseFactory(name="safety"), chapters=2, per_chapter=2)
    page = creator_client.get(course_page(course)).content.decode()
    assert 'id="content"' in page
    assert page.index(lessons[0].title) < page.index(lessons[1].title) < page.index(lessons[2].title)
    assert 'data-lesson="2-2"' in page and "Add lesson" in page and "Move" in page


def test_a_course_creator_adds_moves_and_deletes_content(creator_client):
    course = CourseFactory(name="safety")
    creator_client.post(content_url(course, "add_chapter"), {"title": "Fire"})
    chapter = Chapter.objects.get(course=course)
    for title in ("Exits", "Alarms"):
        response = creator_client.post(
            content_url(course, "add_lesson"), {"title": title, "kind": "text", "chapter": chapter.pk}
        )
    lesson = Lesson.objects.get(title="Alarms")
    assert response["Location"] == content_url(course, "lesson", lesson.pk)
    creator_client.post(content_url(course, "lesson_action", lesson.pk, "up"))
    assert order(chapter) == ["Alarms", "Exits"]
    response = creator_client.post(content_url(course, "lesson_action", lesson.pk, "up"), follow=True)
    assert "Alarms is already first." in messages_of(response)
    response = creator_client.post(content_url(course, "chapter", chapter.pk, "delete"), follow=True)
    assert "The chapter Fire still has lessons: delete or move them first." in messages_of(response)
    creator_client.post(content_url(course, "lesson_action", lesson.pk, "delete"))
    assert order(chapter) == ["Exits"]


def test_the_lesson_page_saves_markdown_and_uploads_a_package(creator_client):
    course, lessons = course_with_lessons(CourseFactory(name="safety"), per_chapter=1)
    url = content_url(course, "lesson", lessons[0].pk)
    response = creator_client.post(
        url,
        {"title": "Walk", "kind": "scorm", "body": "**Go**", "url": "", "package": scorm_package_upload()},
        follow=True,
    )
    assert "Lesson saved." in messages_of(response)
    lesson = Lesson.objects.get(pk=lessons[0].pk)
    assert (lesson.kind, lesson.scorm_launch, lesson.body) == ("scorm", "content/index.html", "**Go**")
    page = creator_client.get(url).content.decode()
    assert "<strong>Go</strong>" in page and "SCORM 1.2" in page

    bad = zip_bytes({"../../x.html": b"x"})
    response = creator_client.post(
        url,
        {"title": "Walk", "kind": "scorm", "body": "**Go**", "url": "", "package": SimpleUploadedFile("bad.zip", bad)},
    )
    assert response.status_code == 200
    assert (
        "This SCORM package cannot be used: ../../x.html points outside the package (..)." in response.content.decode()
    )
    assert Lesson.objects.get(pk=lesson.pk).scorm_launch == "content/index.html"


def test_the_markdown_preview_is_sanitised(creator_client):
    url = reverse("admin:catalog_course_content_preview")
    body = "# Hi\n\n<script>x()</script>\n\n[a](javascript:alert(1)) [b](https://example.com)"
    html = creator_client.post(url, {"body": body}).json()["html"]
    assert "<h1>Hi</h1>" in html and "<script>" not in html and 'href="javascript' not in html
    assert '<a href="https://example.com" rel="noopener noreferrer nofollow">b</a>' in html
    student = Client()
    student.force_login(UserFactory())
    assert student.post(url, {"body": "# Hi"}).status_code in (302, 403)


def test_students_and_evaluators_cannot_author(evaluator_client):
    course = CourseFactory()
    response = evaluator_client.post(content_url(course, "add_chapter"), {"title": "Nope"})
    assert response.status_code == 403
    assert not Chapter.objects.exists()


def test_the_cohort_page_shows_a_progress_heat_table(mod_client, client):
    course, lessons = course_with_lessons(CourseFactory(name="safety", title="Safety"), per_chapter=2)
    batch = BatchFactory(courses=[course, CourseFactory(title="Second")])
    members = [UserFactory(email=f"m{i}@example.com") for i in range(2)]
    for member in members:
        enroll(batch=batch, member=member, actor=None, source=Source.DESK, notify=False)
    services.mark_lesson_complete(member=members[0], lesson=lessons[0], actor=None)
    page = mod_client.get(reverse("admin:catalog_batch_change", args=[batch.pk])).content.decode()
    assert 'id="progress"' in page
    assert 'class="heat heat-half" data-member="m0@example.com" data-course="safety"' in page
    assert 'class="heat heat-none" data-member="m1@example.com" data-course="safety"' in page
    creator = UserFactory(roles=[Role.COURSE_CREATOR])
    client.force_login(creator)
    other = client.get(reverse("admin:catalog_batch_change", args=[batch.pk])).content.decode()
    assert 'id="progress"' not in other


def test_the_dashboard_counts_completions_per_week(mod_client):
    course, lessons = course_with_lessons(per_chapter=1)
    member = UserFactory()
    enroll(batch=BatchFactory(courses=[course]), member=member, actor=None, source=Source.DESK, notify=False)
    services.mark_lesson_complete(member=member, lesson=lessons[0], actor=None)
    page = mod_client.get("/desk/learning").content.decode()
    assert "Course completions per week" in page and "1 in total" in page
    assert page.count('class="desk-week"') == 12


def test_a_lesson_of_kind_video_needs_its_url(creator_client):
    course, lessons = course_with_lessons(CourseFactory(name="talks"), per_chapter=1)
    response = creator_client.post(
        content_url(course, "lesson", lessons[0].pk), {"title": "Talk", "kind": LessonKind.VIDEO, "body": "", "url": ""}
    )
    assert "a video lesson needs the video" in response.content.decode()
    assert Lesson.objects.get(pk=lessons[0].pk).kind == LessonKind.TEXT
