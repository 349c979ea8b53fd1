"""A quiz that is a lesson of a course (CONTRACT.md sections 11 and 12): linked when the lesson is
created, and a passing submission completes the lesson (and the course, when it was the last one)
in the submission's transaction."""

from __future__ import annotations

import pytest

from smoothlms.api.tests.conftest import Api, error_of
from smoothlms.assessments.errors import QuizAlreadyALesson, QuizNotOfCourse
from smoothlms.assessments.models import Quiz, QuizSubmission
from smoothlms.assessments.services import create_quiz_lesson, submit_quiz
from smoothlms.assessments.tests.conftest import answers_for
from smoothlms.assessments.tests.factories import make_quiz
from smoothlms.catalog.models import Lesson, LessonKind
from smoothlms.catalog.tests.factories import CourseFactory
from smoothlms.enrollment.models import CourseEnrollment
from smoothlms.learning import services as learning
from smoothlms.learning.models import LessonProgress, LessonStatus
from smoothlms.people.roles import Role
from smoothlms.people.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def course(cohort):
    return cohort.courses.get()


@pytest.fixture
def outline(course):
    """Chapter 1: a text lesson, then the course's quiz as its last lesson."""
    chapter = learning.create_chapter(course=course, title="Fire", actor=None)
    text = learning.create_lesson(course=course, chapter=chapter, title="Exits", kind=LessonKind.TEXT, actor=None)
    quiz = make_quiz(course=course)
    lesson = create_quiz_lesson(course=course, chapter=chapter, title="Check", quiz=quiz, actor=None)
    return text, lesson, Quiz.objects.get(pk=quiz.pk)


def _status(member, lesson) -> str | None:
    row = LessonProgress.objects.filter(member=member, lesson=lesson).first()
    return row and row.status


def test_passing_the_quiz_lesson_completes_it_and_the_course(learner, course, outline):
    text, lesson, quiz = outline
    assert (quiz.lesson, lesson.kind, lesson.position) == (lesson, LessonKind.QUIZ, 2)
    learning.mark_lesson_complete(member=learner, lesson=text, actor=learner)

    failed = submit_quiz(quiz=quiz, member=learner, answers=answers_for(quiz, right=False), actor=learner)
    enrollment = CourseEnrollment.objects.get(member=learner, course=course)
    assert not failed.passed and _status(learner, lesson) is None
    assert (enrollment.progress, enrollment.completed_at) == (50, None)

    passed = submit_quiz(quiz=quiz, member=learner, answers=answers_for(quiz), actor=learner)
    enrollment.refresh_from_db()
    assert passed.passed and _status(learner, lesson) == LessonStatus.COMPLETED
    assert enrollment.progress == 100 and enrollment.completed_at is not None


def test_passing_a_quiz_lesson_that_is_not_the_last_leaves_the_course_open(learner, course, outline):
    _text, lesson, quiz = outline
    submit_quiz(quiz=quiz, member=learner, answers=answers_for(quiz), actor=learner)
    enrollment = CourseEnrollment.objects.get(member=learner, course=course)
    assert _status(learner, lesson) == LessonStatus.COMPLETED
    assert (enrollment.progress, enrollment.completed_at) == (50, None)


def test_a_quiz_of_another_course_or_already_a_lesson_is_refused_and_nothing_is_created(course, outline):
    _text, lesson, quiz = outline
    chapter = lesson.chapter
    other = make_quiz(title="Elsewhere", course=CourseFactory())
    before = Lesson.objects.count()
    with pytest.raises(QuizNotOfCourse):
        create_quiz_lesson(course=course, chapter=chapter, title="Other", quiz=other, actor=None)
    with pytest.raises(QuizAlreadyALesson):
        create_quiz_lesson(course=course, chapter=chapter, title="Again", quiz=quiz, actor=None)
    assert Lesson.objects.count() == before
    assert Quiz.objects.get(pk=other.pk).lesson_id is None and Quiz.objects.get(pk=quiz.pk).lesson == lesson


def test_the_api_links_a_quiz_to_a_new_quiz_lesson(course):
    creator = UserFactory(roles=[Role.COURSE_CREATOR])
    caller = Api(creator)
    chapter = learning.create_chapter(course=course, title="Fire", actor=None)
    quiz = make_quiz(course=course)
    wrong_kind = caller.post(
        f"/courses/{course.name}/lessons", {"chapter": chapter.pk, "title": "Check", "kind": "text", "quiz": quiz.pk}
    )
    assert error_of(wrong_kind)[:2] == (422, "validation_error") and not Lesson.objects.exists()
    created = caller.post(
        f"/courses/{course.name}/lessons", {"chapter": chapter.pk, "title": "Check", "kind": "quiz", "quiz": quiz.pk}
    )
    assert created.status_code == 201, created.json()
    assert Quiz.objects.get(pk=quiz.pk).lesson_id == created.json()["data"]["id"]
    again = caller.post(
        f"/courses/{course.name}/lessons", {"chapter": chapter.pk, "title": "Again", "kind": "quiz", "quiz": quiz.pk}
    )
    assert error_of(again)[:2] == (409, "quiz_already_a_lesson") and Lesson.objects.count() == 1
    assert not QuizSubmission.objects.exists()
