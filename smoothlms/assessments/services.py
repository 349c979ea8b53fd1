"""Writes on assessments: authoring quizzes and assignments, cohort assessments, starting and
submitting quiz attempts, submitting and grading assignments.

Attempts are counted under a row lock on the learner (locks.lock_learner): a start or a
submission counts the learner's attempts of the quiz and inserts the next one in the same
transaction, with a unique (quiz, member, number) constraint behind it, so two submissions racing
for the last attempt give one submission and one MaxAttemptsReached. Grading happens here only,
from the questions as they are stored; the submission records them as shown.

A quiz that is a course lesson (CONTRACT.md section 11) completes that lesson on a passing
submission: `_complete_lesson_if_any` is the one place that does it.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import partial
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from smoothlms.assessments import locks
from smoothlms.assessments.errors import (
    AlreadyGraded,
    AlreadyInCohort,
    AlreadyPassed,
    AnswerRequired,
    AttemptNotOpen,
    AttemptNotStarted,
    AwaitingGrade,
    CannotEditAssessments,
    CannotGrade,
    CannotManageCohortAssessments,
    FileTooLarge,
    FileTypeNotAllowed,
    InvalidAssignment,
    InvalidQuiz,
    MaxAttemptsReached,
    NotGraded,
    QuizAlreadyALesson,
    QuizHasNoQuestions,
    QuizNotOfCourse,
    TimeLimitExceeded,
)
from smoothlms.assessments.grading import AnswerIn, Grade, check_answers, grade, shown_questions
from smoothlms.assessments.models import (
    DEFAULT_EXTENSIONS,
    Assignment,
    AssignmentKind,
    AssignmentSubmission,
    BatchAssessment,
    GradeStatus,
    Option,
    Question,
    QuestionKind,
    Quiz,
    QuizAnswer,
    QuizAttempt,
    QuizSubmission,
    ResultEmailStatus,
)
from smoothlms.assessments.selectors import can_edit_quizzes, can_grade, check_access, is_submitted, list_questions
from smoothlms.catalog.models import Batch, Chapter, Course, Lesson, LessonKind
from smoothlms.core.audit import record_event
from smoothlms.core.db import select_for_update
from smoothlms.core.models import EventType
from smoothlms.learning.errors import NotEnrolledInCourse as LessonNotEnrolled
from smoothlms.learning.services import complete_lesson_in_transaction, create_lesson_in_transaction
from smoothlms.people.models import User
from smoothlms.people.roles import Role
from smoothlms.training.services import issue_cohort_certificate_if_complete

# A submission sent just before the deadline may arrive a little after it.
SUBMIT_GRACE = dt.timedelta(seconds=30)
MAX_MARKS = Decimal("9999")
_shuffler = random.SystemRandom()


# Authoring ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OptionSpec:
    text: str
    correct: bool = False
    id: int | None = None  # an existing option of the question, kept (so open attempts still match)


@dataclass(frozen=True)
class QuestionSpec:
    text: str
    kind: str
    options: Sequence[OptionSpec] = ()
    answers: Sequence[str] = ()  # text questions: the accepted answers
    marks: Decimal = Decimal(1)


@dataclass(frozen=True)
class QuizFields:
    title: str
    passing_percentage: int
    max_attempts: int = 0
    course: Course | None = None
    shuffle_questions: bool = False
    shuffle_options: bool = False
    time_limit_minutes: int | None = None


def _refuse_quiz(detail: str, *fields: str) -> InvalidQuiz:
    return InvalidQuiz(detail=detail, fields=list(fields))


def _check_quiz(values: QuizFields) -> None:
    if not values.title.strip():
        raise _refuse_quiz("A quiz needs a title.", "title")
    if not 0 <= values.passing_percentage <= 100:
        raise _refuse_quiz("passing_percentage must be between 0 and 100.", "passing_percentage")
    if values.max_attempts < 0:
        raise _refuse_quiz("max_attempts must be 0 (unlimited) or more.", "max_attempts")
    if values.time_limit_minutes is not None and values.time_limit_minutes < 1:
        raise _refuse_quiz("time_limit_minutes must be at least 1 (or none).", "time_limit_minutes")


def _check_question(spec: QuestionSpec, number: int) -> None:
    """Rules of one question: text; a known kind; marks above 0; `single`: two options or more, one
    correct; `multiple`: two options or more, at least one correct; `text`: no options, at least one
    accepted answer."""
    where = f"Question {number}"
    if not spec.text.strip():
        raise _refuse_quiz(f"{where} has no text.", "questions")
    if spec.kind not in QuestionKind.values:
        raise _refuse_quiz(f"{where}: kind must be one of {', '.join(QuestionKind.values)}.", "questions")
    try:
        marks = Decimal(spec.marks)
    except (InvalidOperation, TypeError, ValueError):
        raise _refuse_quiz(f"{where}: marks must be a number.", "questions") from None
    if not Decimal(0) < marks <= MAX_MARKS or marks != marks.quantize(Decimal("0.01")):
        raise _refuse_quiz(f"{where}: marks must be above 0 and at most {MAX_MARKS}, in hundredths.", "questions")
    if spec.kind == QuestionKind.TEXT:
        if spec.options:
            raise _refuse_quiz(f"{where} takes a text answer: it has no options.", "questions")
        if not any(answer.strip() for answer in spec.answers):
            raise _refuse_quiz(f"{where} needs at least one accepted answer.", "questions")
        return
    if len(spec.options) < 2 or any(not option.text.strip() for option in spec.options):
        raise _refuse_quiz(f"{where} needs at least two options, each with a text.", "questions")
    correct = sum(1 for option in spec.options if option.correct)
    if spec.kind == QuestionKind.SINGLE and correct != 1:
        raise _refuse_quiz(f"{where} takes one option: exactly one must be correct.", "questions")
    if spec.kind == QuestionKind.MULTIPLE and correct < 1:
        raise _refuse_quiz(f"{where}: at least one option must be correct.", "questions")


def _write_question(quiz: Quiz, spec: QuestionSpec, position: int, question: Question | None = None) -> Question:
    question = question or Question(quiz=quiz)
    question.position, question.text, question.kind = position, spec.text.strip(), spec.kind
    question.marks = Decimal(spec.marks)
    question.accepted_answers = (
        [answer.strip() for answer in spec.answers if answer.strip()] if spec.kind == QuestionKind.TEXT else []
    )
    question.save()
    existing = {option.pk: option for option in question.options.all()}
    kept = []
    for index, option_spec in enumerate(spec.options):
        option = existing.get(option_spec.id) if option_spec.id else None
        option = option or Option(question=question)
        option.position, option.text, option.correct = index, option_spec.text.strip(), option_spec.correct
        option.save()
        kept.append(option.pk)
    question.options.exclude(pk__in=kept).delete()
    return question


@transaction.atomic(durable=True)
def create_quiz(*, values: QuizFields, questions: Sequence[QuestionSpec], actor: User | None) -> Quiz:
    """Create a quiz with its questions. Rules: only Course Creators and Moderators (and System
    Managers); a title; passing percentage 0-100; max attempts 0 (unlimited) or more; a time
    limit of a minute or more, or none; every question valid (_check_question). A quiz without
    questions can be created (the desk adds them one by one) but not started."""
    if not can_edit_quizzes(actor):
        raise CannotEditAssessments()
    _check_quiz(values)
    for number, spec in enumerate(questions, start=1):
        _check_question(spec, number)
    quiz = Quiz.objects.create(
        title=values.title.strip(),
        course=values.course,
        passing_percentage=values.passing_percentage,
        max_attempts=values.max_attempts,
        shuffle_questions=values.shuffle_questions,
        shuffle_options=values.shuffle_options,
        time_limit_minutes=values.time_limit_minutes,
        created_by=actor,
    )
    for position, spec in enumerate(questions):
        _write_question(quiz, spec, position)
    return quiz


@transaction.atomic(durable=True)
def create_quiz_lesson(*, course: Course, chapter: Chapter, title: str, quiz: Quiz, actor: User | None) -> Lesson:
    """Add a quiz lesson at the end of `chapter` that is `quiz`, in one transaction: a passing
    submission of the quiz then completes the lesson. Rules: only quiz editors
    (CannotEditAssessments); the quiz belongs to the course (QuizNotOfCourse) and is not yet a
    lesson (QuizAlreadyALesson); the lesson's rules are learning's create_lesson's."""
    if not can_edit_quizzes(actor):
        raise CannotEditAssessments()
    quiz = select_for_update(Quiz.objects.filter(pk=quiz.pk)).get()
    if quiz.course_id != course.pk:
        raise QuizNotOfCourse(quiz=quiz.pk, course=course.name)
    if quiz.lesson_id is not None:
        raise QuizAlreadyALesson(quiz=quiz.pk, lesson=quiz.lesson_id)
    lesson = create_lesson_in_transaction(
        course=course, chapter=chapter, title=title, kind=LessonKind.QUIZ, actor=actor
    )
    quiz.lesson = lesson
    quiz.save(update_fields=["lesson", "updated_at"])
    return lesson


QUIZ_FIELDS = (
    "title",
    "course",
    "passing_percentage",
    "max_attempts",
    "shuffle_questions",
    "shuffle_options",
    "time_limit_minutes",
)


@transaction.atomic(durable=True)
def update_quiz(*, quiz: Quiz, actor: User | None, **changes: Any) -> Quiz:
    """Change a quiz's settings (the fields of QUIZ_FIELDS). Rules: as create_quiz. Submissions
    already made keep what they recorded; attempts already started keep their order and deadline."""
    if not can_edit_quizzes(actor):
        raise CannotEditAssessments()
    unknown = sorted(set(changes) - set(QUIZ_FIELDS))
    if unknown:
        raise _refuse_quiz(f"Unknown field {unknown[0]}.", *unknown)
    quiz = Quiz.objects.get(pk=quiz.pk)
    for name, value in changes.items():
        setattr(quiz, name, value)
    _check_quiz(QuizFields(**{name: getattr(quiz, name) for name in QUIZ_FIELDS}))
    quiz.save()
    return quiz


@transaction.atomic(durable=True)
def save_question(
    *, quiz: Quiz, spec: QuestionSpec, position: int, actor: User | None, question: Question | None = None
) -> Question:
    """Add a question to `quiz`, or change `question` (its options given with their ids are kept,
    the others replaced). Rules: as create_quiz. Submissions keep the question as they showed it."""
    if not can_edit_quizzes(actor):
        raise CannotEditAssessments()
    _check_question(spec, position + 1)
    return _write_question(quiz, spec, position, question)


# Attempts -------------------------------------------------------------------------------------


def _order(quiz: Quiz, questions: list[Question]) -> list[dict]:
    ordered = list(questions)
    if quiz.shuffle_questions:
        _shuffler.shuffle(ordered)
    order = []
    for question in ordered:
        options = [option.pk for option in question.options.all()]
        if quiz.shuffle_options:
            _shuffler.shuffle(options)
        order.append({"question": question.pk, "options": options})
    return order


def _new_attempt(quiz: Quiz, member: User, number: int, questions: list[Question], now: dt.datetime) -> QuizAttempt:
    if quiz.max_attempts and number > quiz.max_attempts:
        raise MaxAttemptsReached()
    deadline = now + dt.timedelta(minutes=quiz.time_limit_minutes) if quiz.time_limit_minutes else None
    return QuizAttempt.objects.create(
        quiz=quiz, member=member, number=number, started_at=now, deadline=deadline, order=_order(quiz, questions)
    )


def _latest_attempt(quiz: Quiz, member: User) -> tuple[QuizAttempt | None, int]:
    """The learner's latest attempt and how many they have used: attempts are numbered 1, 2, ...
    without gaps (each is the count so far plus one, under the learner's lock), so the latest
    number is the count."""
    latest = (
        QuizAttempt.objects.filter(quiz=quiz, member=member).select_related("submission").order_by("-number").first()
    )
    return latest, latest.number if latest is not None else 0


def _questions_to_take(quiz: Quiz) -> list[Question]:
    questions = list_questions(quiz=quiz)
    if not questions:
        raise QuizHasNoQuestions()
    return questions


@transaction.atomic(durable=True)
def start_attempt(*, quiz: Quiz, member: User, actor: User | None) -> QuizAttempt:
    """Start an attempt of `quiz` (or return the learner's open one: reloading the page shows the
    same questions in the same order). Rules: the learner may take the quiz (check_access:
    not_enrolled_in_course / not_enrolled_in_cohort); it has questions; an attempt is left
    (max_attempts_reached; every attempt started counts). The order of questions and options,
    shuffled when the quiz says so, and the deadline (with a time limit) are stored."""
    check_access(member=member, quiz=quiz)
    questions = _questions_to_take(quiz)
    locks.lock_learner(member)
    now = timezone.now()
    latest, used = _latest_attempt(quiz, member)
    if latest is not None and not is_submitted(latest) and (latest.deadline is None or latest.deadline > now):
        return latest
    return _new_attempt(quiz, member, used + 1, questions, now)


def _attempt_to_submit(
    quiz: Quiz, member: User, number: int | None, questions: list[Question], now: dt.datetime
) -> QuizAttempt:
    """The attempt a submission closes: attempt `number`, else the learner's latest unsubmitted one,
    else (no time limit) a new one. Caller holds the learner's lock."""
    latest, used = _latest_attempt(quiz, member)
    out_of_attempts = bool(quiz.max_attempts) and used >= quiz.max_attempts
    if number is not None:
        attempt = (
            latest
            if latest is not None and latest.number == number
            else (
                QuizAttempt.objects.filter(quiz=quiz, member=member, number=number).select_related("submission").first()
            )
        )
        if attempt is None or is_submitted(attempt):
            raise MaxAttemptsReached() if out_of_attempts else AttemptNotOpen(attempt=number)
    else:
        attempt = latest if latest is not None and not is_submitted(latest) else None
    if attempt is None:
        if quiz.time_limit_minutes:
            raise AttemptNotStarted(minutes=quiz.time_limit_minutes)
        return _new_attempt(quiz, member, used + 1, questions, now)
    if attempt.deadline is not None and now > attempt.deadline + SUBMIT_GRACE:
        minutes = round((attempt.deadline - attempt.started_at).total_seconds() / 60)
        raise TimeLimitExceeded(minutes=minutes)
    return attempt


def _record(
    quiz: Quiz, member: User, attempt: QuizAttempt, result: Grade, cohort: Batch | None, now: dt.datetime
) -> QuizSubmission:
    limit = round((attempt.deadline - attempt.started_at).total_seconds() / 60) if attempt.deadline else None
    submission = QuizSubmission.objects.create(
        quiz=quiz,
        member=member,
        attempt=attempt.number,
        started_attempt=attempt,
        quiz_title=quiz.title,
        course_id=quiz.course_id,
        batch=cohort,
        passing_percentage=quiz.passing_percentage,
        time_limit_minutes=limit,
        score=result.score,
        score_out_of=result.score_out_of,
        percentage=result.percentage,
        passed=result.passes(quiz.passing_percentage),
        question_order=[answer.shown.question.pk for answer in result.answers],
        started_at=attempt.started_at,
        submitted_at=now,
        time_zone=member.time_zone or settings.TIME_ZONE,
    )
    QuizAnswer.objects.bulk_create(
        [
            QuizAnswer(
                submission=submission,
                position=answer.position,
                question_ref=answer.shown.question.pk,
                question_text=answer.shown.question.text,
                kind=answer.shown.question.kind,
                options=[{"id": o.pk, "text": o.text, "correct": o.correct} for o in answer.shown.options],
                selected=answer.selected,
                answer=answer.answer,
                correct_answer=answer.correct_answer,
                marks=answer.shown.question.marks,
                marks_awarded=answer.marks_awarded,
            )
            for answer in result.answers
        ]
    )
    return submission


@transaction.atomic(durable=True)
def submit_quiz(
    *, quiz: Quiz, member: User, answers: Sequence[AnswerIn], actor: User | None, attempt: int | None = None
) -> QuizSubmission:
    """Grade and record the learner's answers. Rules, in order: the learner may take the quiz
    (check_access); it has questions; the attempt is open (attempt `attempt`, else the latest
    unsubmitted one, else a new one when the quiz has no time limit: attempt_not_started /
    attempt_not_open / max_attempts_reached); its deadline (plus SUBMIT_GRACE) has not passed
    (time_limit_exceeded: the attempt stays used); every answer names a question and options of
    this quiz (invalid_answer). Side effects: the submission with one answer row per question as
    shown, a QUIZ_SUBMITTED audit event, and, when it passes: the lesson's completion (a quiz that
    is a lesson) and the cohort certificate it completes. Refused: nothing is written."""
    cohort = check_access(member=member, quiz=quiz)
    questions = _questions_to_take(quiz)
    locks.lock_learner(member)
    now = timezone.now()
    taken = _attempt_to_submit(quiz, member, attempt, questions, now)
    shown = shown_questions(questions, taken.order)
    result = grade(shown, check_answers(shown, answers))
    submission = _record(quiz, member, taken, result, cohort, now)
    record_event(
        EventType.QUIZ_SUBMITTED,
        actor=actor,
        member=member,
        batch=cohort,
        after={
            "quiz": quiz.pk,
            "quiz_title": quiz.title,
            "submission": submission.pk,
            "attempt": submission.attempt,
            "score": str(submission.score),
            "score_out_of": str(submission.score_out_of),
            "percentage": str(submission.percentage),
            "passed": submission.passed,
        },
    )
    _complete_lesson_if_any(submission, actor=actor)
    if submission.passed:
        _certify_cohort_if_complete(member, cohort, actor=actor)
    return submission


def _certify_cohort_if_complete(member: User, cohort: Batch | None, *, actor: User | None) -> None:
    """A pass may be the last thing a member's cohort certificate waited for (courses completed,
    every assessment passed): issued in the passing transaction."""
    if cohort is not None and cohort.certification:
        issue_cohort_certificate_if_complete(member=member, batch=cohort, actor=actor)


def _complete_lesson_if_any(submission: QuizSubmission, *, actor: User | None) -> None:
    """A passing submission of a quiz that is a course lesson completes that lesson, in the
    submission's transaction, through learning.services.complete_lesson_in_transaction.
    A quiz is a lesson only once it has a `lesson` (catalog.Lesson, CONTRACT.md section 11); a quiz
    of a cohort or of a course without lessons has none, and nothing else happens. A learner who
    took it through a cohort without an active enrollment in the lesson's course keeps the
    submission; there is no course progress to complete (the refusal comes before any write)."""
    if not submission.passed or submission.quiz.lesson_id is None:
        return
    try:
        complete_lesson_in_transaction(member=submission.member, lesson=submission.quiz.lesson, actor=actor)
    except LessonNotEnrolled:
        return


# Assignments ----------------------------------------------------------------------------------


def _check_assignment(assignment: Assignment) -> None:
    problems = []
    if not assignment.title.strip():
        problems.append(("title", "An assignment needs a title."))
    if assignment.kind not in AssignmentKind.values:
        problems.append(("kind", f"kind must be one of {', '.join(AssignmentKind.values)}."))
    if not 1 <= assignment.max_file_mb <= 200:
        problems.append(("max_file_mb", "max_file_mb must be between 1 and 200."))
    if assignment.kind == AssignmentKind.FILE and not assignment.extensions:
        problems.append(("allowed_extensions", "A file assignment needs at least one file type, e.g. pdf."))
    if problems:
        raise InvalidAssignment(detail=" ".join(text for _, text in problems), fields=[name for name, _ in problems])


@transaction.atomic(durable=True)
def create_assignment(
    *,
    title: str,
    kind: str,
    actor: User | None,
    instructions: str = "",
    course: Course | None = None,
    allowed_extensions: str = DEFAULT_EXTENSIONS,
    max_file_mb: int = 10,
) -> Assignment:
    """Create an assignment answered with a text or a file. Rules: only Course Creators and
    Moderators; a title; a known kind; a file assignment names its file types; 1-200 MB."""
    if not can_edit_quizzes(actor):
        raise CannotEditAssessments()
    assignment = Assignment(
        title=title.strip(),
        kind=kind,
        instructions=instructions.strip(),
        course=course,
        allowed_extensions=",".join(
            part.strip().lower().lstrip(".") for part in allowed_extensions.split(",") if part.strip()
        ),
        max_file_mb=max_file_mb,
        created_by=actor,
    )
    _check_assignment(assignment)
    assignment.save()
    return assignment


ASSIGNMENT_FIELDS = ("title", "kind", "instructions", "course", "allowed_extensions", "max_file_mb")


@transaction.atomic(durable=True)
def update_assignment(*, assignment: Assignment, actor: User | None, **changes: Any) -> Assignment:
    """Change an assignment (the fields of ASSIGNMENT_FIELDS). Rules: as create_assignment.
    Submissions already handed in keep their answers and grades."""
    if not can_edit_quizzes(actor):
        raise CannotEditAssessments()
    unknown = sorted(set(changes) - set(ASSIGNMENT_FIELDS))
    if unknown:
        raise InvalidAssignment(detail=f"Unknown field {unknown[0]}.", fields=unknown)
    assignment = Assignment.objects.get(pk=assignment.pk)
    for name, value in changes.items():
        setattr(assignment, name, value.strip() if isinstance(value, str) else value)
    _check_assignment(assignment)
    assignment.save()
    return assignment


# What the first bytes of a file of each type are. Types not listed are checked by name only.
SIGNATURES: dict[str, tuple[bytes, ...]] = {
    "pdf": (b"%PDF-",),
    "png": (b"\x89PNG\r\n\x1a\n",),
    "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",),
    "gif": (b"GIF87a", b"GIF89a"),
    # Office Open XML and OpenDocument files are zip archives.
    **{ext: (b"PK\x03\x04",) for ext in ("docx", "xlsx", "pptx", "odt", "ods", "odp", "zip")},
}
TEXT_TYPES = frozenset({"txt", "csv", "md"})
SNIFF_BYTES = 8192


def _looks_like(upload: UploadedFile, extension: str) -> bool:
    upload.seek(0)
    head = upload.read(SNIFF_BYTES)
    upload.seek(0)
    if extension in TEXT_TYPES:
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as exc:  # a multi-byte character cut at the end of the sample is fine
            return exc.start >= len(head) - 3 and b"\x00" not in head
        return b"\x00" not in head
    signatures = SIGNATURES.get(extension)
    return signatures is None or head.startswith(signatures)


def _check_file(assignment: Assignment, upload: UploadedFile) -> str:
    """The file's name, or the refusal: a type the assignment does not take (by name, then by its
    first bytes), or larger than its limit."""
    name = PurePath(upload.name or "").name[:200] or "upload"
    extension = PurePath(name).suffix.lower().lstrip(".")
    allowed = assignment.extensions
    if extension not in allowed or not _looks_like(upload, extension):
        raise FileTypeNotAllowed(name=name, allowed=", ".join(allowed))
    if upload.size is None or upload.size > assignment.max_file_mb * 1024 * 1024:
        raise FileTooLarge(name=name, limit=assignment.max_file_mb)
    return name


@transaction.atomic(durable=True)
def submit_assignment(
    *, assignment: Assignment, member: User, actor: User | None, text: str = "", upload: UploadedFile | None = None
) -> AssignmentSubmission:
    """Hand in an answer. Rules, in order: the learner may take it (check_access); a text
    assignment needs a text, a file assignment a file (answer_required) of an accepted type
    (file_type_not_allowed, checked by name and first bytes) within the size limit
    (file_too_large); not while the previous submission awaits its grade
    (assignment_awaiting_grade), nor once passed (assignment_already_passed). Side effects: the
    submission (the file stored under MEDIA_ROOT), an ASSIGNMENT_SUBMITTED audit event."""
    cohort = check_access(member=member, assignment=assignment)
    text = (text or "").strip()
    if assignment.kind == AssignmentKind.TEXT and not text:
        raise AnswerRequired(what="a text answer")
    if assignment.kind == AssignmentKind.FILE and upload is None:
        raise AnswerRequired(what="a file")
    name = _check_file(assignment, upload) if assignment.kind == AssignmentKind.FILE else ""
    locks.lock_learner(member)  # one hand-in at a time: the checks below see the learner's last one
    previous = AssignmentSubmission.objects.filter(assignment=assignment, member=member)
    if previous.filter(status=GradeStatus.PASSED).exists():
        raise AlreadyPassed()
    if previous.filter(status=GradeStatus.SUBMITTED).exists():
        raise AwaitingGrade()
    submission = AssignmentSubmission(
        assignment=assignment,
        member=member,
        batch=cohort,
        text=text,
        file_name=name,
        file_size=upload.size if upload else None,
    )
    if upload is not None and name:
        submission.file.save(name, upload, save=False)
    submission.save()
    record_event(
        EventType.ASSIGNMENT_SUBMITTED,
        actor=actor,
        member=member,
        batch=cohort,
        after={
            "assignment": assignment.pk,
            "assignment_title": assignment.title,
            "submission": submission.pk,
            "file": name,
            "size": submission.file_size,
        },
    )
    return submission


def _queue_result_email(submission_id: int) -> None:
    from smoothlms.assessments.tasks import send_assignment_result

    # partial, not a lambda: the id is bound now. robust: a queue that is down must not undo the grade.
    transaction.on_commit(partial(send_assignment_result.enqueue, submission_id), robust=True)


@transaction.atomic(durable=True)
def grade_assignment_submission(
    *, submission: AssignmentSubmission, passed: bool, comment: str, actor: User | None
) -> AssignmentSubmission:
    """Grade a submission pass or fail with a comment. Rules: only Batch Evaluators and Moderators
    (and System Managers); once (already_graded: the grade is evidence, not a draft). Side effects:
    an ASSIGNMENT_GRADED audit event; on a pass, the cohort certificate it completes; the learner
    is emailed the result after commit (the submission is the email's outbox)."""
    if not can_grade(actor):
        raise CannotGrade()
    current = locks.lock_assignment_submission(submission)
    if current.status != GradeStatus.SUBMITTED:
        raise AlreadyGraded()
    current.status = GradeStatus.PASSED if passed else GradeStatus.FAILED
    current.comment = (comment or "").strip()
    current.graded_by, current.graded_at = actor, timezone.now()
    current.result_email_status = ResultEmailStatus.PENDING
    current.save(update_fields=["status", "comment", "graded_by", "graded_at", "result_email_status"])
    record_event(
        EventType.ASSIGNMENT_GRADED,
        actor=actor,
        member=current.member,
        batch=current.batch,
        after={
            "assignment": current.assignment_id,
            "submission": current.pk,
            "status": current.status,
            "comment": current.comment,
        },
    )
    _queue_result_email(current.pk)
    if passed:
        _certify_cohort_if_complete(current.member, current.batch, actor=actor)
    return current


@transaction.atomic(durable=True)
def resend_assignment_result(*, submission: AssignmentSubmission, actor: User | None) -> AssignmentSubmission:
    """Email the result of a graded submission again (the desk's action). Rules: graders only;
    the submission is graded. Side effects: the outbox back to pending, the email after commit."""
    if not can_grade(actor):
        raise CannotGrade()
    current = locks.lock_assignment_submission(submission)
    if current.status == GradeStatus.SUBMITTED:
        raise NotGraded()
    current.result_email_status, current.result_email_error = ResultEmailStatus.PENDING, ""
    current.save(update_fields=["result_email_status", "result_email_error"])
    _queue_result_email(current.pk)
    return current


# Cohort assessments ---------------------------------------------------------------------------


@transaction.atomic(durable=True)
def add_batch_assessment(
    *,
    batch: Batch,
    actor: User | None,
    quiz: Quiz | None = None,
    assignment: Assignment | None = None,
    due_date: dt.date | None = None,
) -> BatchAssessment:
    """List a quiz or an assignment among the assessments a cohort's members must pass. Rules:
    Moderators only; exactly one of quiz and assignment; not twice in one cohort
    (assessment_already_in_cohort)."""
    if actor is not None and not actor.has_role(Role.MODERATOR, Role.SYSTEM_MANAGER):
        raise CannotManageCohortAssessments()
    if (quiz is None) == (assignment is None):
        raise InvalidQuiz(detail="Give either a quiz or an assignment.", fields=["quiz", "assignment"])
    position = BatchAssessment.objects.filter(batch=batch).count()
    try:
        with transaction.atomic():  # savepoint: the unique constraint decides between two racing adds
            return BatchAssessment.objects.create(
                batch=batch, quiz=quiz, assignment=assignment, due_date=due_date, position=position
            )
    except IntegrityError:
        raise AlreadyInCohort(title=(quiz or assignment).title) from None
