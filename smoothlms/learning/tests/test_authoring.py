"""Authoring: chapters and lessons keep contiguous 1-based positions; refusals change nothing."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from smoothlms.catalog.models import Chapter, Lesson, LessonKind
from smoothlms.catalog.tests.factories import CourseFactory
from smoothlms.learning import services
from smoothlms.learning.errors import (
    CannotMove,
    ChapterNotEmpty,
    ChapterNotFound,
    InvalidContent,
    LessonHasProgress,
    NotAFileLesson,
)
from smoothlms.learning.tests.factories import CourseEnrollmentFactory, course_with_lessons

pytestmark = pytest.mark.django_db


def titles(queryset) -> list[tuple[int, str]]:
    return list(queryset.order_by("position").values_list("position", "title"))


def test_chapters_and_lessons_are_added_at_the_end():
    course = CourseFactory()
    first = services.create_chapter(course=course, title="  Basics ", actor=None)
    second = services.create_chapter(course=course, title="Advanced", actor=None)
    assert (first.position, first.title, second.position) == (1, "Basics", 2)
    a = services.create_lesson(course=course, chapter=second, title="A", kind=LessonKind.TEXT, body="# A", actor=None)
    b = services.create_lesson(
        course=course, chapter=second, title="B", kind=LessonKind.VIDEO, url="https://example.com/b.mp4", actor=None
    )
    assert (a.position, b.position) == (1, 2)


def test_create_refuses_bad_input_and_creates_nothing():
    course = CourseFactory()
    chapter = services.create_chapter(course=course, title="One", actor=None)
    with pytest.raises(InvalidContent) as refused:
        services.create_chapter(course=course, title="   ", actor=None)
    assert refused.value.params["fields"] == ["title"]
    with pytest.raises(InvalidContent) as refused:
        services.create_lesson(course=course, chapter=chapter, title="Talk", kind=LessonKind.VIDEO, actor=None)
    assert refused.value.params["fields"] == ["url"]
    with pytest.raises(InvalidContent) as refused:
        services.create_lesson(course=course, chapter=chapter, title="X", kind="podcast", actor=None)
    assert refused.value.params["fields"] == ["kind"]
    other = services.create_chapter(course=CourseFactory(), title="Elsewhere", actor=None)
    with pytest.raises(ChapterNotFound):
        services.create_lesson(course=course, chapter=other, title="X", kind=LessonKind.TEXT, actor=None)
    assert Chapter.objects.filter(course=course).count() == 1
    assert not Lesson.objects.exists()


def test_moving_swaps_neighbours_and_refuses_past_the_ends():
    course, lessons = course_with_lessons(chapters=3, per_chapter=3)
    chapters = list(Chapter.objects.filter(course=course).order_by("position"))
    services.move_chapter(chapter=chapters[2], up=True, actor=None)
    assert [c.pk for c in Chapter.objects.filter(course=course).order_by("position")] == [
        chapters[0].pk,
        chapters[2].pk,
        chapters[1].pk,
    ]
    services.move_lesson(lesson=lessons[0], up=False, actor=None)
    assert [lesson.pk for lesson in Lesson.objects.filter(chapter=chapters[0]).order_by("position")] == [
        lessons[1].pk,
        lessons[0].pk,
        lessons[2].pk,
    ]
    before = titles(Lesson.objects.filter(chapter=chapters[0]))
    with pytest.raises(CannotMove) as refused:
        services.move_lesson(lesson=lessons[1], up=True, actor=None)
    assert refused.value.user_message() == f"{lessons[1].title} is already first."
    with pytest.raises(CannotMove):
        services.move_chapter(chapter=chapters[1], up=False, actor=None)
    assert titles(Lesson.objects.filter(chapter=chapters[0])) == before


def test_deleting_closes_the_gap_and_refuses_started_lessons_and_full_chapters():
    course, lessons = course_with_lessons(chapters=2, per_chapter=3)
    services.delete_lesson(lesson=lessons[0], actor=None)
    assert [p for p, _t in titles(Lesson.objects.filter(chapter=lessons[1].chapter))] == [1, 2]
    member = CourseEnrollmentFactory(course=course).member
    services.start_lesson(member=member, lesson=lessons[1], actor=member)
    with pytest.raises(LessonHasProgress):
        services.delete_lesson(lesson=lessons[1], actor=None)
    with pytest.raises(ChapterNotEmpty):
        services.delete_chapter(chapter=lessons[3].chapter, actor=None)
    assert Lesson.objects.count() == 5 and Chapter.objects.count() == 2
    second = lessons[3].chapter
    for lesson in lessons[3:]:
        services.delete_lesson(lesson=Lesson.objects.get(pk=lesson.pk), actor=None)
    services.delete_chapter(chapter=Chapter.objects.get(pk=second.pk), actor=None)
    assert list(Chapter.objects.filter(course=course).values_list("position", flat=True)) == [1]


def test_update_lesson_changes_allowed_fields_only():
    _course, lessons = course_with_lessons(per_chapter=1)
    lesson = services.update_lesson(lesson=lessons[0], title="Renamed", body="**bold**", actor=None)
    assert (lesson.title, lesson.body) == ("Renamed", "**bold**")
    with pytest.raises(InvalidContent) as refused:
        services.update_lesson(lesson=lesson, position=5, actor=None)
    assert refused.value.params["fields"] == ["position"]


def test_a_file_lesson_stores_its_document():
    course, lessons = course_with_lessons(per_chapter=1, kind=LessonKind.FILE)
    saved = services.attach_lesson_file(
        lesson=lessons[0], upload=SimpleUploadedFile("policy.pdf", b"%PDF-1.4"), actor=None
    )
    assert saved.file.name.startswith(f"lessons/{course.name}/policy")
    assert saved.file.read() == b"%PDF-1.4"
    _c, texts = course_with_lessons(per_chapter=1)
    with pytest.raises(NotAFileLesson):
        services.attach_lesson_file(lesson=texts[0], upload=SimpleUploadedFile("x.pdf", b"x"), actor=None)
