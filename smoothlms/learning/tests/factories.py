from __future__ import annotations

import factory

from smoothlms.catalog.models import Chapter, Lesson, LessonKind
from smoothlms.catalog.tests.factories import CourseFactory
from smoothlms.enrollment.models import CourseEnrollment
from smoothlms.people.tests.factories import UserFactory


class ChapterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Chapter

    course = factory.SubFactory(CourseFactory)
    title = factory.Sequence(lambda n: f"Chapter {n}")
    position = factory.Sequence(lambda n: n + 1)


class LessonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lesson

    chapter = factory.SubFactory(ChapterFactory)
    title = factory.Sequence(lambda n: f"Lesson {n}")
    kind = LessonKind.TEXT
    body = "Some *text*."
    position = factory.Sequence(lambda n: n + 1)


class CourseEnrollmentFactory(factory.django.DjangoModelFactory):
    """Direct course access (cohorts grant it through the enrollment engine)."""

    class Meta:
        model = CourseEnrollment

    member = factory.SubFactory(UserFactory)
    course = factory.SubFactory(CourseFactory)


def course_with_lessons(course=None, *, chapters: int = 1, per_chapter: int = 3, kind: str = LessonKind.TEXT):
    """A course with `chapters` chapters of `per_chapter` lessons, positions 1.. in each parent."""
    course = course or CourseFactory()
    lessons = []
    for c in range(chapters):
        chapter = ChapterFactory(course=course, position=c + 1)
        for p in range(per_chapter):
            lessons.append(LessonFactory(chapter=chapter, position=p + 1, kind=kind))
    return course, lessons
