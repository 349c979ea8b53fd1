"""Assessments built through their services, as every path builds them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from smoothlms.assessments.models import Assignment, BatchAssessment, Quiz, QuizSubmission, SubmissionSource
from smoothlms.assessments.services import (
    OptionSpec,
    QuestionSpec,
    QuizFields,
    add_batch_assessment,
    create_assignment,
    create_quiz,
)
from smoothlms.catalog.models import Batch, Course


def single(text: str, right: str, *wrong: str, marks: str = "1") -> QuestionSpec:
    return QuestionSpec(
        text=text,
        kind="single",
        marks=Decimal(marks),
        options=[OptionSpec(right, True), *(OptionSpec(w) for w in wrong)],
    )


def multiple(text: str, right: list[str], wrong: list[str], marks: str = "1") -> QuestionSpec:
    return QuestionSpec(
        text=text,
        kind="multiple",
        marks=Decimal(marks),
        options=[*(OptionSpec(r, True) for r in right), *(OptionSpec(w) for w in wrong)],
    )


def text(question: str, *answers: str, marks: str = "1") -> QuestionSpec:
    return QuestionSpec(text=question, kind="text", answers=list(answers), marks=Decimal(marks))


def safety_questions() -> list[QuestionSpec]:
    return [
        single("Which extinguisher is for electrical fires?", "CO2", "Water", "Foam"),
        multiple("Which are personal protective equipment?", ["Gloves", "Goggles"], ["Coffee mug"], marks="2"),
        text("What number do you call in an emergency?", "112", "911"),
    ]


def make_quiz(
    *,
    title: str = "Fire safety",
    course: Course | None = None,
    passing_percentage: int = 75,
    max_attempts: int = 0,
    questions: list[QuestionSpec] | None = None,
    **fields,
) -> Quiz:
    return create_quiz(
        values=QuizFields(
            title=title, passing_percentage=passing_percentage, max_attempts=max_attempts, course=course, **fields
        ),
        questions=safety_questions() if questions is None else questions,
        actor=None,
    )


def make_assignment(*, title: str = "Risk assessment", kind: str = "text", **fields) -> Assignment:
    return create_assignment(title=title, kind=kind, actor=None, **fields)


def link(batch: Batch, item: Quiz | Assignment, *, due_date: dt.date | None = None) -> BatchAssessment:
    if isinstance(item, Quiz):
        return add_batch_assessment(batch=batch, quiz=item, due_date=due_date, actor=None)
    return add_batch_assessment(batch=batch, assignment=item, due_date=due_date, actor=None)


def recorded_submission(*, member, course: Course, quiz: str = "Final check", **values) -> QuizSubmission:
    """A submission recorded in the desk (no questions answered here): score, score_out_of,
    percentage and passed as given."""
    return QuizSubmission.objects.create(
        quiz=make_quiz(title=quiz, course=course),
        member=member,
        attempt=QuizSubmission.objects.filter(member=member, quiz__course=course).count() + 1,
        source=SubmissionSource.RECORDED,
        quiz_title=quiz,
        course=course,
        **values,
    )
