"""Grading a quiz, on the server only: the questions in the order shown, each answer checked and
marked, and the totals. Pure functions over loaded rows (no queries, no writes).

Marks: a `single` question gives its marks when the one option chosen is the correct one; a
`multiple` question is all-or-nothing: its marks when the options chosen are exactly the correct
ones, none otherwise (no partial marks); a `text` question gives its marks when the answer, trimmed
and case-folded, equals one of the accepted answers trimmed and case-folded. An unanswered
question gives no marks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from smoothlms.assessments.errors import InvalidAnswer
from smoothlms.assessments.models import Option, Question, QuestionKind

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class AnswerIn:
    """A learner's answer to one question: option ids for `single` and `multiple`, text for `text`."""

    question: int
    options: Sequence[int] | None = None
    text: str | None = None


@dataclass(frozen=True)
class ShownQuestion:
    question: Question
    options: list[Option]  # in the order shown


@dataclass(frozen=True)
class GradedAnswer:
    position: int
    shown: ShownQuestion
    selected: list[int]
    answer: str
    correct_answer: str
    marks_awarded: Decimal


@dataclass
class Grade:
    answers: list[GradedAnswer] = field(default_factory=list)
    score: Decimal = Decimal(0)
    score_out_of: Decimal = Decimal(0)

    @property
    def percentage(self) -> Decimal:
        if not self.score_out_of:
            return Decimal(0)
        return (self.score * HUNDRED / self.score_out_of).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

    def passes(self, passing_percentage: int) -> bool:
        # Compared exactly, not on the rounded percentage: 69.996% does not pass at 70%.
        return self.score * HUNDRED >= Decimal(passing_percentage) * self.score_out_of


def normalise_text(value: str) -> str:
    return value.strip().casefold()


def shown_questions(questions: Sequence[Question], order: Sequence[dict]) -> list[ShownQuestion]:
    """`questions` (options prefetched) in the order of an attempt (`[{"question": id, "options":
    [ids]}]`). Questions or options added after the attempt started follow in their own order;
    removed ones are left out."""
    by_id = {question.pk: question for question in questions}
    shown, seen = [], set()
    for entry in order:
        question = by_id.get(entry.get("question"))
        if question is None or question.pk in seen:
            continue
        seen.add(question.pk)
        options = {option.pk: option for option in question.options.all()}
        ordered = [options.pop(pk) for pk in entry.get("options", []) if pk in options]
        shown.append(ShownQuestion(question, ordered + list(options.values())))
    shown += [ShownQuestion(q, list(q.options.all())) for q in questions if q.pk not in seen]
    return shown


def check_answers(shown: Sequence[ShownQuestion], answers: Sequence[AnswerIn]) -> dict[int, AnswerIn]:
    """The answers by question id, or InvalidAnswer naming the first problem: a question that is not
    in the quiz, a question answered twice, options for a text question or text for an option
    question, an option of another question, several options for a `single` question."""
    by_id = {item.question.pk: item for item in shown}
    checked: dict[int, AnswerIn] = {}
    for answer in answers:
        item = by_id.get(answer.question)
        if item is None:
            raise InvalidAnswer(
                detail=f"Question {answer.question} is not a question of this quiz.", fields=["answers"]
            )
        if answer.question in checked:
            raise InvalidAnswer(detail=f"Question {answer.question} is answered twice.", fields=["answers"])
        _check_one(item, answer)
        checked[answer.question] = answer
    return checked


def _check_one(item: ShownQuestion, answer: AnswerIn) -> None:
    question = item.question
    if question.kind == QuestionKind.TEXT:
        if answer.options:
            raise InvalidAnswer(detail=f"Question {question.pk} takes a text answer, not options.", fields=["answers"])
        return
    if answer.text:
        raise InvalidAnswer(detail=f"Question {question.pk} takes options, not a text answer.", fields=["answers"])
    chosen = list(answer.options or [])
    known = {option.pk for option in item.options}
    unknown = [pk for pk in chosen if pk not in known]
    if unknown:
        raise InvalidAnswer(
            detail=f"Option {unknown[0]} is not an option of question {question.pk}.", fields=["answers"]
        )
    if question.kind == QuestionKind.SINGLE and len(set(chosen)) > 1:
        raise InvalidAnswer(detail=f"Question {question.pk} takes one option.", fields=["answers"])


def grade(shown: Sequence[ShownQuestion], answers: dict[int, AnswerIn]) -> Grade:
    result = Grade()
    for position, item in enumerate(shown, start=1):
        graded = _grade_one(position, item, answers.get(item.question.pk))
        result.answers.append(graded)
        result.score += graded.marks_awarded
        result.score_out_of += item.question.marks
    return result


def _grade_one(position: int, item: ShownQuestion, answer: AnswerIn | None) -> GradedAnswer:
    question = item.question
    if question.kind == QuestionKind.TEXT:
        given = (answer.text or "") if answer else ""
        accepted = [str(value) for value in question.accepted_answers]
        right = bool(normalise_text(given)) and normalise_text(given) in {normalise_text(a) for a in accepted}
        return GradedAnswer(position, item, [], given, " | ".join(accepted), question.marks if right else Decimal(0))
    chosen = list(dict.fromkeys(answer.options or [])) if answer else []
    correct = [option for option in item.options if option.correct]
    right = bool(chosen) and set(chosen) == {option.pk for option in correct}
    texts = {option.pk: option.text for option in item.options}
    return GradedAnswer(
        position,
        item,
        chosen,
        "; ".join(texts[pk] for pk in chosen),
        "; ".join(option.text for option in correct),
        question.marks if right else Decimal(0),
    )
