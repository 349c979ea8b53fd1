"""Reads on assessments: quizzes, who may take them, attempts, submissions (with who may read them),
cohort assessments and each member's status, and what is due for a learner."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from smoothlms.assessments.errors import (
    AssignmentNotFound,
    AssignmentSubmissionNotFound,
    NotEnrolledInCohort,
    NotEnrolledInCourse,
    QuizNotFound,
    QuizSubmissionNotFound,
)
from smoothlms.assessments.models import (
    Assignment,
    AssignmentSubmission,
    BatchAssessment,
    GradeStatus,
    Option,
    Question,
    Quiz,
    QuizAnswer,
    QuizAttempt,
    QuizSubmission,
)
from smoothlms.catalog.models import Batch, BatchCourse
from smoothlms.core.db import STREAM_CHUNK, filter_days, filter_within, iterate_values
from smoothlms.core.timeutil import iso_seconds
from smoothlms.enrollment.models import BatchEnrollment, CourseEnrollment, EnrollmentStatus
from smoothlms.learning.selectors import active_course_enrollments
from smoothlms.people.models import Employee, User
from smoothlms.people.roles import Role

# Who reads learners' submissions (CONTRACT.md section 10: the roles that read rosters; HR for employees).
SUBMISSION_READERS = (Role.SYSTEM_MANAGER, Role.MODERATOR, Role.BATCH_EVALUATOR, Role.HR_MANAGER)
QUIZ_EDITORS = (Role.SYSTEM_MANAGER, Role.MODERATOR, Role.COURSE_CREATOR)
GRADERS = (Role.SYSTEM_MANAGER, Role.MODERATOR, Role.BATCH_EVALUATOR)


def can_read_submissions(user: User) -> bool:
    return user.has_role(*SUBMISSION_READERS)


def can_edit_quizzes(user: User | None) -> bool:
    """None is the system itself (commands, the demo)."""
    return user is None or user.has_role(*QUIZ_EDITORS)


def can_grade(user: User | None) -> bool:
    return user is None or user.has_role(*GRADERS)


# Quizzes and assignments ------------------------------------------------------------------------


def get_quiz(*, quiz_id: int) -> Quiz:
    quiz = Quiz.objects.select_related("course").filter(pk=quiz_id).first()
    if quiz is None:
        raise QuizNotFound(id=quiz_id)
    return quiz


def list_questions(*, quiz: Quiz) -> list[Question]:
    """The quiz's questions in position order with their options. Two queries."""
    return list(
        quiz.questions.order_by("position", "id").prefetch_related(
            Prefetch("options", queryset=Option.objects.order_by("position", "id"))
        )
    )


def get_assignment(*, assignment_id: int) -> Assignment:
    assignment = Assignment.objects.select_related("course").filter(pk=assignment_id).first()
    if assignment is None:
        raise AssignmentNotFound(id=assignment_id)
    return assignment


# Who may take an assessment -------------------------------------------------------------------


def has_course_access(*, member: User, course_id: int) -> bool:
    """An active course enrollment, as learning defines course access (cancelling the cohort
    enrollment that gave it withdraws it)."""
    return active_course_enrollments(member=member, course=course_id).exists()


def _linking_cohort(*, member: User, quiz: Quiz | None = None, assignment: Assignment | None = None) -> Batch | None:
    """The first cohort (by start) that lists the assessment and in which `member` is active."""
    links = (
        BatchAssessment.objects.filter(quiz=quiz)
        if quiz is not None
        else BatchAssessment.objects.filter(assignment=assignment)
    )
    link = (
        links.filter(batch__enrollments__member=member, batch__enrollments__status=EnrollmentStatus.ACTIVE)
        .select_related("batch")
        .order_by("batch__start_date", "batch__start_time", "batch_id")
        .first()
    )
    return link.batch if link else None


def check_access(*, member: User, quiz: Quiz | None = None, assignment: Assignment | None = None) -> Batch | None:
    """The cohort in which `member` takes the quiz or assignment (None for a course one taken
    outside a cohort), or the refusal: a course assessment needs an active course enrollment
    (NotEnrolledInCourse) unless a cohort of the member lists it; a cohort assessment needs an active
    enrollment in a cohort that lists it (NotEnrolledInCohort)."""
    item = quiz if quiz is not None else assignment
    cohort = _linking_cohort(member=member, quiz=quiz, assignment=assignment)
    if cohort is not None:
        return cohort
    if item.course_id:
        if not has_course_access(member=member, course_id=item.course_id):
            raise NotEnrolledInCourse()
        return (
            CourseEnrollment.objects.filter(member=member, course_id=item.course_id)
            .select_related("enrollment_from_batch")
            .first()
            .enrollment_from_batch
        )
    raise NotEnrolledInCohort()


# Attempts -------------------------------------------------------------------------------------


def is_submitted(attempt: QuizAttempt) -> bool:
    try:
        return attempt.submission is not None
    except QuizSubmission.DoesNotExist:
        return False


def is_open(attempt: QuizAttempt, *, now: dt.datetime) -> bool:
    """Neither submitted nor past its deadline."""
    return not is_submitted(attempt) and (attempt.deadline is None or attempt.deadline > now)


def get_open_attempt(*, quiz: Quiz, member: User, now: dt.datetime | None = None) -> QuizAttempt | None:
    """The learner's latest attempt if it is neither submitted nor past its deadline."""
    now = now or timezone.now()
    attempt = (
        QuizAttempt.objects.filter(quiz=quiz, member=member).select_related("submission").order_by("-number").first()
    )
    return attempt if attempt is not None and is_open(attempt, now=now) else None


def count_attempts(*, quiz: Quiz, member: User) -> int:
    return QuizAttempt.objects.filter(quiz=quiz, member=member).count()


def attempts_left(*, quiz: Quiz, member: User) -> int | None:
    """None: unlimited."""
    if not quiz.max_attempts:
        return None
    return max(quiz.max_attempts - count_attempts(quiz=quiz, member=member), 0)


# Submissions ----------------------------------------------------------------------------------


def list_member_submissions(*, quiz: Quiz, member: User) -> QuerySet[QuizSubmission]:
    return QuizSubmission.objects.filter(quiz=quiz, member=member).order_by("-attempt")


def get_submission(*, submission_id: int, visible_to: User) -> QuizSubmission:
    """The submission if `visible_to` is its learner or reads submissions; else QuizSubmissionNotFound
    (another learner's submission does not exist for a learner)."""
    queryset = QuizSubmission.objects.select_related("quiz", "member", "course", "batch")
    if not can_read_submissions(visible_to):
        queryset = queryset.filter(member=visible_to)
    submission = queryset.filter(pk=submission_id).first()
    if submission is None:
        raise QuizSubmissionNotFound(id=submission_id)
    return submission


def get_assignment_submission(*, submission_id: int, visible_to: User) -> AssignmentSubmission:
    queryset = AssignmentSubmission.objects.select_related("assignment", "member", "graded_by", "batch")
    if not can_read_submissions(visible_to):
        queryset = queryset.filter(member=visible_to)
    submission = queryset.filter(pk=submission_id).first()
    if submission is None:
        raise AssignmentSubmissionNotFound(id=submission_id)
    return submission


def list_member_assignment_submissions(*, assignment: Assignment, member: User) -> QuerySet[AssignmentSubmission]:
    return (
        AssignmentSubmission.objects.filter(assignment=assignment, member=member)
        .select_related("graded_by")
        .order_by("-submitted_at", "-id")
    )


def list_batch_submissions(*, batch: Batch) -> QuerySet[QuizSubmission]:
    """Quiz submissions of a cohort: taken in it, or by one of its members (any status: history
    counts) in one of its courses."""
    in_courses = Q(
        Exists(BatchEnrollment.objects.filter(batch=batch, member_id=OuterRef("member_id"))),
        Exists(BatchCourse.objects.filter(batch=batch, course_id=OuterRef("course_id"))),
    )
    return QuizSubmission.objects.filter(Q(batch=batch) | in_courses)


# The print format (PDF and the desk page show the same) ----------------------------------------


@dataclass(frozen=True)
class PrintedAnswer:
    number: int
    question: str
    kind: str
    options: list[tuple[str, bool, bool]]  # (text, chosen, correct), in the order shown
    answer: str
    correct: str
    marks: str  # "1 / 1"
    right: bool


@dataclass(frozen=True)
class SubmissionPrint:
    reference: str
    learner: str
    email: str
    hr_id: str
    quiz: str
    course: str
    cohort: str
    attempt: int
    submitted_at: str  # local time with the zone's abbreviation, offset and name
    started_at: str
    score: str
    percentage: str
    passing: str
    result: str
    source: str
    answers: list[PrintedAnswer]
    recorded_answers: str  # recorded rows only: the answers as typed into the desk


def _decimal(value) -> str:
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def local_time(instant: dt.datetime | None, zone: str) -> str:
    """`2026-03-02 14:05:09 CET (UTC+01:00, Europe/Berlin)`."""
    if instant is None:
        return ""
    local = instant.astimezone(ZoneInfo(zone))
    offset = local.strftime("%z")
    return f"{local:%Y-%m-%d %H:%M:%S} {local.tzname()} (UTC{offset[:3]}:{offset[3:]}, {zone})"


def hr_ids(member_ids: list[int]) -> dict[int, str]:
    """The HR id (Employee.employee) of each linked user: the active record first, else the latest."""
    found: dict[int, str] = {}
    for user_id, employee, status in (
        Employee.objects.filter(user_id__in=member_ids)
        .order_by("user_id", "-updated_at", "-id")
        .values_list("user_id", "employee", "status")
    ):
        if user_id not in found or status == "Active":
            found[user_id] = employee
    return found


def submission_print(
    submission: QuizSubmission, *, answers: list[QuizAnswer] | None = None, hr_id: str | None = None
) -> SubmissionPrint:
    """What the print format names (CONTRACT.md section 12), from the submission's own record: the
    learner (as they are now: a purge anonymises them), HR id, quiz, course, cohort, attempt,
    submission time in the learner's zone, and every question with the answer, the correct answer
    and the marks."""
    member = submission.member
    answers = answers if answers is not None else list(submission.answers.order_by("position"))
    hr = hr_id if hr_id is not None else hr_ids([member.pk]).get(member.pk, "")
    return SubmissionPrint(
        reference=submission.name,
        learner=member.full_name or member.email,
        email=member.email,
        hr_id=hr or "-",
        quiz=submission.quiz_title,
        course=submission.course.title if submission.course else "-",
        cohort=submission.batch.title if submission.batch else "-",
        attempt=submission.attempt,
        submitted_at=local_time(submission.submitted_at, submission.time_zone),
        started_at=local_time(submission.started_at, submission.time_zone),
        score=f"{_decimal(submission.score)} / {_decimal(submission.score_out_of)}",
        percentage=f"{_decimal(submission.percentage)}%",
        passing="-" if submission.passing_percentage is None else f"{submission.passing_percentage}%",
        result="Passed" if submission.passed else "Not passed",
        source=submission.get_source_display(),
        answers=[_printed(answer) for answer in answers],
        recorded_answers="" if submission.recorded_answers in (None, [], {}) else str(submission.recorded_answers),
    )


def _printed(answer: QuizAnswer) -> PrintedAnswer:
    chosen = set(answer.selected)
    return PrintedAnswer(
        number=answer.position,
        question=answer.question_text,
        kind=answer.get_kind_display(),
        options=[(option["text"], option["id"] in chosen, bool(option["correct"])) for option in answer.options],
        answer=answer.answer or "(no answer)",
        correct=answer.correct_answer,
        marks=f"{_decimal(answer.marks_awarded)} / {_decimal(answer.marks)}",
        right=answer.marks_awarded == answer.marks,
    )


def iterate_submission_prints(
    queryset: QuerySet[QuizSubmission], *, chunk_size: int = 100
) -> Iterator[tuple[QuizSubmission, SubmissionPrint]]:
    """Each submission of `queryset` with its print, in id order, `chunk_size` at a time (keyset
    pagination, answers and HR ids read per chunk): memory stays flat whatever the number."""
    base = queryset.select_related("member", "course", "batch").order_by("pk")
    last = 0
    while True:
        chunk = list(base.filter(pk__gt=last)[:chunk_size])
        if not chunk:
            return
        answers: dict[int, list[QuizAnswer]] = {}
        rows = QuizAnswer.objects.filter(submission__in=[s.pk for s in chunk]).order_by("submission", "position")
        for answer in rows:
            answers.setdefault(answer.submission_id, []).append(answer)
        hr = hr_ids(list({s.member_id for s in chunk}))
        for submission in chunk:
            yield (
                submission,
                submission_print(
                    submission, answers=answers.get(submission.pk, []), hr_id=hr.get(submission.member_id, "")
                ),
            )
        last = chunk[-1].pk


# Cohort assessments and statuses ----------------------------------------------------------------


def list_batch_assessments(*, batch: Batch) -> list[BatchAssessment]:
    return list(
        BatchAssessment.objects.filter(batch=batch)
        .select_related("quiz", "assignment", "batch")
        .order_by("position", "due_date", "id")
    )


class Status:
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"  # quiz attempted, not passed, attempts left
    SUBMITTED = "submitted"  # assignment awaiting its grade
    PASSED = "passed"
    FAILED = "failed"  # quiz: no attempts left; assignment: the latest grade was a fail

    LABELS = {
        NOT_STARTED: "Not started",
        IN_PROGRESS: "Not passed yet",
        SUBMITTED: "Awaiting grade",
        PASSED: "Passed",
        FAILED: "Failed",
    }


def _quiz_status(row: dict | None, max_attempts: int) -> str:
    if row is None:
        return Status.NOT_STARTED
    if row["passed"]:
        return Status.PASSED
    if max_attempts and row["attempts"] >= max_attempts:
        return Status.FAILED
    return Status.IN_PROGRESS


def _assignment_status(latest: str | None, passed: bool) -> str:
    if passed:
        return Status.PASSED
    if latest is None:
        return Status.NOT_STARTED
    return {GradeStatus.SUBMITTED: Status.SUBMITTED, GradeStatus.FAILED: Status.FAILED}.get(latest, Status.PASSED)


def member_statuses(*, assessments: list[BatchAssessment], member_ids: list[int]) -> dict[tuple[int, int], str]:
    """{(assessment id, member id): status} for these cohort assessments and members. Four queries
    whatever their number."""
    quiz_ids = [a.quiz_id for a in assessments if a.quiz_id]
    assignment_ids = [a.assignment_id for a in assessments if a.assignment_id]
    quiz_rows = {
        (r["quiz_id"], r["member_id"]): r
        for r in QuizSubmission.objects.filter(quiz_id__in=quiz_ids, member_id__in=member_ids)
        .order_by()
        .values("quiz_id", "member_id")
        .annotate(passed=Count("id", filter=Q(passed=True)), submissions=Count("id"))
    }
    attempts = {
        (r["quiz_id"], r["member_id"]): r["n"]
        for r in QuizAttempt.objects.filter(quiz_id__in=quiz_ids, member_id__in=member_ids)
        .order_by()
        .values("quiz_id", "member_id")
        .annotate(n=Count("id"))
    }
    latest: dict[tuple[int, int], str] = {}
    passed: set[tuple[int, int]] = set()
    for assignment_id, member_id, status in (
        AssignmentSubmission.objects.filter(assignment_id__in=assignment_ids, member_id__in=member_ids)
        .order_by("submitted_at", "id")
        .values_list("assignment_id", "member_id", "status")
    ):
        latest[(assignment_id, member_id)] = status
        if status == GradeStatus.PASSED:
            passed.add((assignment_id, member_id))
    statuses = {}
    for assessment in assessments:
        for member_id in member_ids:
            if assessment.quiz_id:
                row = quiz_rows.get((assessment.quiz_id, member_id))
                if row is not None:
                    row = {**row, "attempts": attempts.get((assessment.quiz_id, member_id), 0)}
                status = _quiz_status(row, assessment.quiz.max_attempts)
            else:
                key = (assessment.assignment_id, member_id)
                status = _assignment_status(latest.get(key), key in passed)
            statuses[(assessment.pk, member_id)] = status
    return statuses


def passed_every_assessment(member: User, batch: Batch) -> bool:
    """Whether `member` has passed every assessment of `batch` (true when it has none): what a
    cohort certificate waits for besides the courses (settings.SMOOTHLMS_COHORT_ASSESSMENTS_PASSED
    names this function to the training app, which sits below this one)."""
    assessments = list_batch_assessments(batch=batch)
    statuses = member_statuses(assessments=assessments, member_ids=[member.pk])
    return all(status == Status.PASSED for status in statuses.values())


def is_overdue(assessment: BatchAssessment, status: str, *, now: dt.datetime | None = None) -> bool:
    """Past its due date (a date in the cohort's zone) and not passed."""
    if assessment.due_date is None or status == Status.PASSED:
        return False
    today = (now or timezone.now()).astimezone(ZoneInfo(assessment.batch.timezone)).date()
    return assessment.due_date < today


@dataclass(frozen=True)
class StatusRow:
    member: User
    cells: list[tuple[BatchAssessment, str, bool]]  # (assessment, status, overdue)


def list_batch_assessment_status(*, batch: Batch) -> tuple[list[BatchAssessment], list[StatusRow]]:
    """The cohort's assessments and, for each active member, the status of each. Six queries."""
    assessments = list_batch_assessments(batch=batch)
    members = [
        e.member
        for e in BatchEnrollment.objects.filter(batch=batch, status=EnrollmentStatus.ACTIVE)
        .select_related("member")
        .order_by("member__full_name", "member__email")
    ]
    statuses = member_statuses(assessments=assessments, member_ids=[m.pk for m in members])
    now = timezone.now()
    rows = [
        StatusRow(
            member,
            [
                (a, statuses[(a.pk, member.pk)], is_overdue(a, statuses[(a.pk, member.pk)], now=now))
                for a in assessments
            ],
        )
        for member in members
    ]
    return assessments, rows


@dataclass(frozen=True)
class DueItem:
    assessment: BatchAssessment
    status: str
    overdue: bool

    @property
    def status_label(self) -> str:
        return Status.LABELS[self.status]


def list_due_assessments(*, member: User) -> list[DueItem]:
    """The assessments of the cohorts `member` is actively enrolled in, with the member's status:
    overdue ones first, then by due date (none last). Five queries."""
    assessments = list(
        BatchAssessment.objects.filter(
            batch__enrollments__member=member, batch__enrollments__status=EnrollmentStatus.ACTIVE
        ).select_related("quiz", "assignment", "batch")
    )
    statuses = member_statuses(assessments=assessments, member_ids=[member.pk])
    now = timezone.now()
    items = [
        DueItem(a, statuses[(a.pk, member.pk)], is_overdue(a, statuses[(a.pk, member.pk)], now=now))
        for a in assessments
    ]
    items.sort(
        key=lambda item: (
            not item.overdue,
            item.status == Status.PASSED,
            item.assessment.due_date or dt.date.max,
            item.assessment.batch.name,
            item.assessment.position,
            item.assessment.pk,
        )
    )
    return items


# The quiz-submissions export (csvio.exports) --------------------------------------------------


QUIZ_SUBMISSION_EXPORT_FIELDS = (
    "member__email",
    "member__full_name",
    "course__name",
    "quiz_title",
    "score",
    "score_out_of",
    "percentage",
    "passed",
    "submitted_at",
    "attempt",
)
QUIZ_ANSWER_EXPORT_FIELDS = (
    "submission_id",
    "position",
    "question_text",
    "answer",
    "correct_answer",
    "marks_awarded",
    "marks",
)
NO_ANSWERS = ("", "", "", "", "", "")


def list_quiz_submission_export_rows(
    *,
    batch: Batch | None = None,
    member: str = "",
    since: dt.date | None = None,
    until: dt.date | None = None,
    within: QuerySet | None = None,
) -> Iterator[tuple]:
    """Quiz submissions in long format, narrowed to a cohort (list_batch_submissions), a member
    (email), the days they were submitted on and `within` (a desk list's rows): one line per
    question of each submission (the submission's columns repeated: member, member name, course,
    quiz, score, out of, percentage, passed, submitted_at, submission, attempt, then question
    number, question, answer, correct, marks, marks out of), one line with blank question columns
    for a submission recorded without question-level answers. Submissions are read a chunk at a
    time, then that chunk's answers in one query."""
    queryset = QuizSubmission.objects.all() if batch is None else list_batch_submissions(batch=batch)
    queryset = filter_within(queryset, within)
    if member:
        queryset = queryset.filter(member__email=member)
    queryset = filter_days(queryset, "submitted_at", since=since, until=until, is_date=False)
    chunk: list[tuple] = []
    for row in iterate_values(queryset, ("id", *QUIZ_SUBMISSION_EXPORT_FIELDS)):
        chunk.append(row)
        if len(chunk) == STREAM_CHUNK:
            yield from _quiz_submission_lines(chunk)
            chunk = []
    yield from _quiz_submission_lines(chunk)


def _quiz_submission_lines(chunk: list[tuple]) -> Iterator[tuple]:
    answers: dict[int, list[tuple]] = {}
    rows = (
        QuizAnswer.objects.filter(submission_id__in=[row[0] for row in chunk])
        .order_by("submission_id", "position")
        .values_list(*QUIZ_ANSWER_EXPORT_FIELDS)
    )
    for submission_id, *rest in rows:
        answers.setdefault(submission_id, []).append(tuple(rest))
    for pk, *rest in chunk:
        *columns, attempt = rest
        submission = (*(iso_seconds(value) for value in columns), f"QS-{pk:06d}", attempt)
        for answer in answers.get(pk) or [NO_ANSWERS]:
            yield (*submission, *answer)
