"""Concurrent steps of one learner in one course: the course enrollment's row lock serialises them,
so the progress counts every completion and the course completes exactly once."""

from __future__ import annotations

import pytest
from django.db import connection

from smoothlms.catalog.models import LessonKind, ScormVersion
from smoothlms.core.models import EnrollmentEvent, EventType
from smoothlms.core.testing import assert_locks_before_write, run_in_threads
from smoothlms.enrollment.models import CourseEnrollment
from smoothlms.learning import services
from smoothlms.learning.models import LessonProgress, LessonStatus
from smoothlms.learning.tests.factories import CourseEnrollmentFactory, LessonFactory, course_with_lessons


@pytest.mark.django_db(transaction=True)
def test_a_completion_locks_the_course_enrollment_before_writing():
    course, lessons = course_with_lessons(per_chapter=2)
    member = CourseEnrollmentFactory(course=course).member
    with assert_locks_before_write(
        CourseEnrollment._meta.db_table, write_table=LessonProgress._meta.db_table, key="member_id"
    ):
        services.mark_lesson_complete(member=member, lesson=lessons[0], actor=member)


@pytest.mark.django_db(transaction=True)
def test_the_last_lessons_completed_at_once_complete_the_course_once():
    course, lessons = course_with_lessons(per_chapter=4)
    member = CourseEnrollmentFactory(course=course).member
    for lesson in lessons[:2]:
        services.mark_lesson_complete(member=member, lesson=lesson, actor=member)

    def complete(lesson):
        try:
            services.mark_lesson_complete(member=member, lesson=lesson, actor=member)
        finally:
            connection.close()

    run_in_threads(complete, lessons[2:])
    enrollment = CourseEnrollment.objects.get(member=member, course=course)
    assert enrollment.progress == 100 and enrollment.completed_at is not None
    assert LessonProgress.objects.filter(member=member, status=LessonStatus.COMPLETED).count() == 4
    assert EnrollmentEvent.objects.filter(kind=EventType.COURSE_COMPLETED, member=member).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_scorm_commits_at_once_make_one_progress_row():
    course, lessons = course_with_lessons(per_chapter=1)
    scorm = LessonFactory(
        chapter=lessons[0].chapter,
        position=2,
        kind=LessonKind.SCORM,
        scorm_version=ScormVersion.SCORM_12,
        scorm_launch="index.html",
    )
    member = CourseEnrollmentFactory(course=course).member

    def commit(value):
        try:
            services.commit_scorm_data(member=member, lesson=scorm, cmi={"cmi.suspend_data": value}, actor=member)
        finally:
            connection.close()

    run_in_threads(commit, ["a", "b"])
    rows = LessonProgress.objects.filter(member=member, lesson=scorm)
    assert rows.count() == 1 and rows.get().scorm_data["cmi.suspend_data"] in ("a", "b")
