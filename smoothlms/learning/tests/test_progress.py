"""Progress rules: access, completing lessons, rounding, course completion closing the training
assignment, SCORM runtime data."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from smoothlms.catalog.models import LessonKind, ScormVersion
from smoothlms.catalog.tests.factories import BatchFactory, CourseFactory
from smoothlms.core.models import EnrollmentEvent, EventType
from smoothlms.enrollment.models import CourseEnrollment, EnrollmentStatus, Source
from smoothlms.enrollment.services import enroll
from smoothlms.learning import services
from smoothlms.learning.errors import CompletesByItself, NotAScormLesson, NotEnrolledInCourse, ScormDataInvalid
from smoothlms.learning.models import LessonProgress, LessonStatus
from smoothlms.learning.selectors import get_outline, has_course_access
from smoothlms.learning.tests.factories import (
    ChapterFactory,
    CourseEnrollmentFactory,
    LessonFactory,
    course_with_lessons,
)
from smoothlms.people.tests.factories import UserFactory, moderator
from smoothlms.training.models import AssignmentStatus, TrainingAssignment

pytestmark = pytest.mark.django_db


@pytest.fixture
def course_of_three():
    return course_with_lessons(per_chapter=3)


@pytest.fixture
def learner(course_of_three):
    course, _ = course_of_three
    return CourseEnrollmentFactory(course=course).member


def enrollment_of(member, course) -> CourseEnrollment:
    return CourseEnrollment.objects.get(member=member, course=course)


# Access ---------------------------------------------------------------------------------------


def test_has_course_access_follows_the_course_enrollment_state(course_of_three):
    course, _ = course_of_three
    active = CourseEnrollmentFactory(course=course)
    withdrawn = CourseEnrollmentFactory(course=course, status=EnrollmentStatus.CANCELLED)
    assert has_course_access(active.member, course)
    assert not has_course_access(withdrawn.member, course)
    assert not has_course_access(UserFactory(), course)


def test_start_lesson_records_in_progress_once(course_of_three, learner):
    _, lessons = course_of_three
    first = services.start_lesson(member=learner, lesson=lessons[0], actor=learner)
    again = services.start_lesson(member=learner, lesson=lessons[0], actor=learner)
    assert first.pk == again.pk and first.status == LessonStatus.IN_PROGRESS
    assert LessonProgress.objects.count() == 1


@pytest.mark.parametrize("state", ["none", "cancelled"])
def test_lessons_refuse_a_member_without_an_active_course_enrollment(course_of_three, state):
    course, lessons = course_of_three
    member = UserFactory()
    if state == "cancelled":
        CourseEnrollmentFactory(course=course, member=member, status=EnrollmentStatus.CANCELLED)
    for call in (services.start_lesson, services.complete_lesson, services.mark_lesson_complete):
        with pytest.raises(NotEnrolledInCourse) as refused:
            call(member=member, lesson=lessons[0], actor=member)
        assert refused.value.code == "not_enrolled_in_course"
        assert refused.value.user_message() == "You are not enrolled in this course."
    with pytest.raises(NotEnrolledInCourse):
        services.commit_scorm_data(
            member=member,
            lesson=LessonFactory(chapter=lessons[0].chapter, position=9, kind=LessonKind.SCORM),
            cmi={},
            actor=member,
        )
    assert not LessonProgress.objects.exists()
    assert not CourseEnrollment.objects.filter(progress__gt=0).exists()


def test_withdrawn_access_keeps_progress_and_restoring_it_continues(course_of_three, learner):
    course, lessons = course_of_three
    services.mark_lesson_complete(member=learner, lesson=lessons[0], actor=learner)
    CourseEnrollment.objects.filter(member=learner, course=course).update(status=EnrollmentStatus.CANCELLED)
    with pytest.raises(NotEnrolledInCourse):
        services.mark_lesson_complete(member=learner, lesson=lessons[1], actor=learner)
    assert enrollment_of(learner, course).progress == 33
    CourseEnrollment.objects.filter(member=learner, course=course).update(status=EnrollmentStatus.ACTIVE)
    result = services.mark_lesson_complete(member=learner, lesson=lessons[1], actor=learner)
    assert result.progress == 66


# Completing and rounding ----------------------------------------------------------------------


def test_progress_is_completed_lessons_over_lessons_rounded_down(course_of_three, learner):
    course, lessons = course_of_three
    seen = [services.mark_lesson_complete(member=learner, lesson=lesson, actor=learner).progress for lesson in lessons]
    assert seen == [33, 66, 100]
    enrollment = enrollment_of(learner, course)
    assert enrollment.progress == 100 and enrollment.completed_at is not None
    assert list(LessonProgress.objects.values_list("status", flat=True)) == [LessonStatus.COMPLETED] * 3


def test_progress_rounds_down_even_close_to_the_next_percent():
    course, lessons = course_with_lessons(per_chapter=7)
    member = CourseEnrollmentFactory(course=course).member
    results = [services.mark_lesson_complete(member=member, lesson=lesson, actor=None).progress for lesson in lessons]
    assert results == [14, 28, 42, 57, 71, 85, 100]  # 6/7 is 85.7: not 86, and never 100 before the end


def test_recompleting_a_lesson_changes_nothing(course_of_three, learner):
    course, lessons = course_of_three
    for lesson in lessons:
        services.mark_lesson_complete(member=learner, lesson=lesson, actor=learner)
    before = enrollment_of(learner, course)
    row = LessonProgress.objects.get(lesson=lessons[0])
    events = EnrollmentEvent.objects.count()
    again = services.mark_lesson_complete(member=learner, lesson=lessons[0], actor=learner)
    after = enrollment_of(learner, course)
    assert again.progress == 100 and again.completed
    assert (after.updated_at, after.completed_at) == (before.updated_at, before.completed_at)
    assert LessonProgress.objects.get(lesson=lessons[0]).updated_at == row.updated_at
    assert EnrollmentEvent.objects.count() == events


@pytest.mark.parametrize("kind", [LessonKind.SCORM, LessonKind.QUIZ])
def test_mark_complete_refuses_lessons_that_complete_by_themselves(course_of_three, learner, kind):
    course, lessons = course_of_three
    lesson = LessonFactory(chapter=lessons[0].chapter, position=4, kind=kind)
    with pytest.raises(CompletesByItself) as refused:
        services.mark_lesson_complete(member=learner, lesson=lesson, actor=learner)
    assert refused.value.code == "lesson_completes_by_itself"
    assert not LessonProgress.objects.exists()
    assert enrollment_of(learner, course).progress == 0


def test_complete_lesson_completes_a_quiz_lesson(course_of_three, learner):
    _, lessons = course_of_three
    quiz = LessonFactory(chapter=lessons[0].chapter, position=4, kind=LessonKind.QUIZ)
    result = services.complete_lesson(member=learner, lesson=quiz, actor=None)
    assert result.lesson_progress.status == LessonStatus.COMPLETED
    assert result.progress == 25


def test_outline_shows_each_lessons_status_for_the_member(course_of_three, learner):
    course, lessons = course_of_three
    services.start_lesson(member=learner, lesson=lessons[1], actor=learner)
    services.mark_lesson_complete(member=learner, lesson=lessons[0], actor=learner)
    outline = get_outline(course=course, member=learner)
    assert [lesson.status for lesson in outline.lessons] == ["completed", "in_progress", "not_started"]
    assert outline.progress == 33
    assert outline.first_unfinished().pk == lessons[1].pk
    assert [lesson.status for lesson in get_outline(course=course).lessons] == ["not_started"] * 3


# Completion closes the training assignment --------------------------------------------------------


def test_completing_a_course_closes_the_open_assignment_and_records_the_event(db):
    course = CourseFactory()
    chapter = ChapterFactory(course=course, position=1)
    lessons = [LessonFactory(chapter=chapter, position=i + 1) for i in range(2)]
    batch = BatchFactory(courses=[course])
    learner = UserFactory()
    other = UserFactory()
    enroll(batch=batch, member=learner, actor=moderator(), source=Source.DESK, notify=False)
    due = timezone.localdate() + dt.timedelta(days=10)
    open_one = TrainingAssignment.objects.create(user=learner, course=course, due_date=due)
    old = TrainingAssignment.objects.create(
        user=learner, course=course, due_date=due - dt.timedelta(days=400), status=AssignmentStatus.CANCELLED
    )
    others = TrainingAssignment.objects.create(user=other, course=course, due_date=due)

    first = services.mark_lesson_complete(member=learner, lesson=lessons[0], actor=learner)
    assert (first.progress, first.completed) == (50, False)
    assert TrainingAssignment.objects.get(pk=open_one.pk).status == AssignmentStatus.ASSIGNED

    done = services.mark_lesson_complete(member=learner, lesson=lessons[1], actor=learner)
    assert (done.progress, done.completed) == (100, True)
    closed = TrainingAssignment.objects.get(pk=open_one.pk)
    assert closed.status == AssignmentStatus.COMPLETED and closed.completed_at == done.completed_at
    assert TrainingAssignment.objects.get(pk=old.pk).status == AssignmentStatus.CANCELLED
    assert TrainingAssignment.objects.get(pk=others.pk).status == AssignmentStatus.ASSIGNED
    event = EnrollmentEvent.objects.get(kind=EventType.COURSE_COMPLETED)
    assert (event.member_id, event.batch_id, event.actor_id) == (learner.pk, batch.pk, learner.pk)
    assert event.after["course"] == course.name and event.after["training_assignments_completed"] == 1


def test_adding_a_lesson_lowers_progress_but_keeps_the_completion(course_of_three, learner):
    course, lessons = course_of_three
    for lesson in lessons:
        services.mark_lesson_complete(member=learner, lesson=lesson, actor=learner)
    completed_at = enrollment_of(learner, course).completed_at
    services.create_lesson(course=course, chapter=lessons[0].chapter, title="Bonus", kind=LessonKind.TEXT, actor=None)
    enrollment = enrollment_of(learner, course)
    assert enrollment.progress == 75 and enrollment.completed_at == completed_at


# SCORM runtime data ---------------------------------------------------------------------------


@pytest.fixture
def scorm_lesson(course_of_three):
    _, lessons = course_of_three
    return LessonFactory(
        chapter=lessons[0].chapter,
        position=4,
        kind=LessonKind.SCORM,
        scorm_version=ScormVersion.SCORM_12,
        scorm_launch="index.html",
    )


def test_scorm_commit_saves_runtime_data_without_completing(scorm_lesson, learner):
    cmi = {"cmi.core.lesson_status": "incomplete", "cmi.suspend_data": "visits=1", "cmi.core.lesson_location": "p2"}
    result = services.commit_scorm_data(member=learner, lesson=scorm_lesson, cmi=cmi, actor=learner)
    row = LessonProgress.objects.get(lesson=scorm_lesson)
    assert row.status == LessonStatus.IN_PROGRESS and row.scorm_data == cmi
    assert result.progress == 0


@pytest.mark.parametrize(
    ("version", "cmi"),
    [
        (ScormVersion.SCORM_12, {"cmi.core.lesson_status": "completed"}),
        (ScormVersion.SCORM_12, {"cmi.core.lesson_status": "passed", "cmi.core.score.raw": "92"}),
        (ScormVersion.SCORM_2004, {"cmi.completion_status": "completed"}),
        (ScormVersion.SCORM_2004, {"cmi.completion_status": "incomplete", "cmi.success_status": "passed"}),
    ],
)
def test_scorm_lesson_completes_when_the_package_reports_it(scorm_lesson, learner, version, cmi):
    scorm_lesson.scorm_version = version
    scorm_lesson.save()
    result = services.commit_scorm_data(member=learner, lesson=scorm_lesson, cmi=cmi, actor=learner)
    assert result.lesson_progress.status == LessonStatus.COMPLETED
    assert result.progress == 25


@pytest.mark.parametrize(
    ("version", "cmi"),
    [
        (ScormVersion.SCORM_12, {"cmi.core.lesson_status": "failed"}),
        (ScormVersion.SCORM_12, {"cmi.completion_status": "completed"}),  # a 2004 element in a 1.2 package
        (ScormVersion.SCORM_2004, {"cmi.completion_status": "incomplete", "cmi.success_status": "failed"}),
        (ScormVersion.SCORM_2004, {"cmi.core.lesson_status": "completed"}),
    ],
)
def test_scorm_lesson_does_not_complete_otherwise(scorm_lesson, learner, version, cmi):
    scorm_lesson.scorm_version = version
    scorm_lesson.save()
    result = services.commit_scorm_data(member=learner, lesson=scorm_lesson, cmi=cmi, actor=learner)
    assert result.lesson_progress.status == LessonStatus.IN_PROGRESS


def test_a_completed_scorm_lesson_stays_completed_and_keeps_new_data(scorm_lesson, learner):
    services.commit_scorm_data(
        member=learner, lesson=scorm_lesson, cmi={"cmi.core.lesson_status": "completed"}, actor=learner
    )
    services.commit_scorm_data(
        member=learner,
        lesson=scorm_lesson,
        cmi={"cmi.core.lesson_status": "incomplete", "cmi.suspend_data": "again"},
        actor=learner,
    )
    row = LessonProgress.objects.get(lesson=scorm_lesson)
    assert row.status == LessonStatus.COMPLETED and row.scorm_data["cmi.suspend_data"] == "again"


@pytest.mark.parametrize(
    "cmi",
    [
        ["cmi.core.lesson_status"],
        {"lesson_status": "completed"},
        {"cmi.core.lesson_status": {"x": 1}},
        {"cmi.suspend_data": "x" * 70000},
        {"cmi.bad key": "1"},
    ],
)
def test_scorm_commit_refuses_data_that_is_not_cmi(scorm_lesson, learner, cmi):
    with pytest.raises(ScormDataInvalid) as refused:
        services.commit_scorm_data(member=learner, lesson=scorm_lesson, cmi=cmi, actor=learner)
    assert refused.value.params["fields"] == ["cmi"]
    assert not LessonProgress.objects.exists()


def test_scorm_commit_refuses_a_lesson_that_is_not_scorm(course_of_three, learner):
    _, lessons = course_of_three
    with pytest.raises(NotAScormLesson):
        services.commit_scorm_data(
            member=learner, lesson=lessons[0], cmi={"cmi.core.lesson_status": "completed"}, actor=learner
        )
    assert not LessonProgress.objects.exists()


# Query counts ---------------------------------------------------------------------------------


def _completion_queries(lessons: int) -> int:
    course, items = course_with_lessons(per_chapter=lessons)
    member = CourseEnrollmentFactory(course=course).member
    TrainingAssignment.objects.create(user=member, course=course, due_date=timezone.localdate())
    for lesson in items[:-2]:
        LessonProgress.objects.create(
            member=member, lesson=lesson, course=course, status=LessonStatus.COMPLETED, completed_at=timezone.now()
        )
    services.mark_lesson_complete(member=member, lesson=items[-2], actor=member)
    with CaptureQueriesContext(connection) as middle:
        services.mark_lesson_complete(member=member, lesson=items[-2 + 1], actor=member)  # the one reaching 100%
    return len(middle.captured_queries)


def test_a_completion_takes_as_many_queries_at_200_lessons_as_at_3():
    assert _completion_queries(200) == _completion_queries(3)
