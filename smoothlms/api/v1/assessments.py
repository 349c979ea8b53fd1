"""Assessments (CONTRACT.md section 12): quizzes (create; read, without the answers for learners;
start an attempt; submit), the print format of a submission as PDF, assignments (create, read,
hand in, grade), a cohort's assessments with each member's status, the ZIP of a cohort's
submission PDFs, and what is due for the caller."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils import timezone
from ninja import File, Form, Router, UploadedFile
from ninja.responses import Status
from pydantic import BaseModel, Field, StrictBool, StrictInt

from smoothlms.api.v1.auth import COURSE_EDITORS, MODERATORS, ROSTER_READERS, require_roles
from smoothlms.api.v1.errors import AUTH, BODY, VALIDATION, ErrorOut, responses
from smoothlms.api.v1.schemas import MAX_ID, Date, Id, Input, envelope, list_envelope, text
from smoothlms.assessments.grading import AnswerIn
from smoothlms.assessments.models import Assignment, AssignmentSubmission, BatchAssessment, Question, Quiz
from smoothlms.assessments.pdf import pdf_filename, render_submission_pdf, submissions_zip
from smoothlms.assessments.selectors import (
    attempts_left,
    can_edit_quizzes,
    check_access,
    get_assignment,
    get_assignment_submission,
    get_quiz,
    get_submission,
    list_batch_assessment_status,
    list_batch_assessments,
    list_batch_submissions,
    list_due_assessments,
    list_questions,
    member_statuses,
    submission_print,
)
from smoothlms.assessments.services import (
    OptionSpec,
    QuestionSpec,
    QuizFields,
    add_batch_assessment,
    create_assignment,
    create_quiz,
    grade_assignment_submission,
    start_attempt,
    submit_assignment,
    submit_quiz,
)
from smoothlms.catalog.selectors import get_batch, get_course
from smoothlms.enrollment.models import BatchEnrollment, EnrollmentStatus

router = Router(tags=["assessments"])

Title = text(200, min_length=1)
QuestionText = text(5000, min_length=1)
OptionText = text(500, min_length=1)
AnswerText = text(5000)
Percentage = Annotated[StrictInt, Field(ge=0, le=100)]
Count = Annotated[StrictInt, Field(ge=0, le=1000, description="0: unlimited.")]
Minutes = Annotated[StrictInt, Field(ge=1, le=10080)]
Marks = Annotated[Decimal, Field(gt=0, le=9999, max_digits=6, decimal_places=2)]
CourseName = text(140)
PathId = Annotated[int, Field(ge=1, le=MAX_ID)]  # from the path: text that reads as a whole number

NOT_ENROLLED = (
    "`not_enrolled_in_course`: You are not enrolled in this course. `not_enrolled_in_cohort`: "
    "You are not enrolled in a cohort that has this assessment."
)
EDITORS_ONLY = {403: "`permission_denied`: only Course Creators and Moderators create quizzes and assignments."}
QUIZ_NOT_FOUND = {404: "`not_found`: No quiz with id {id}. (Or no course of that name.)"}


# Quizzes --------------------------------------------------------------------------------------


class OptionIn(Input):
    text: OptionText
    correct: StrictBool = False


class QuestionIn(Input):
    text: QuestionText
    kind: Literal["single", "multiple", "text"]
    options: list[OptionIn] = Field(
        default_factory=list,
        max_length=50,
        description="`single` and `multiple`: two or more; `single` has one correct.",
    )
    answer: AnswerText | list[AnswerText] | None = Field(
        None, description="`text`: the accepted answer, or a list of them (compared after trimming and case folding)."
    )
    marks: Marks = Decimal(1)


class QuizIn(Input):
    title: Title
    course: CourseName | None = Field(None, description="The course's name, for a course quiz.")
    passing_percentage: Percentage
    max_attempts: Count = 0
    shuffle_questions: StrictBool = False
    shuffle_options: StrictBool = False
    time_limit_minutes: Minutes | None = Field(None, description="Counted on the server from each attempt's start.")
    questions: list[QuestionIn] = Field(min_length=1, max_length=500)


class OptionOut(BaseModel):
    id: int
    text: str
    correct: bool | None = Field(None, description="Quiz editors only.")


class QuestionOut(BaseModel):
    id: int
    text: str
    kind: str
    marks: float
    options: list[OptionOut]
    answers: list[str] | None = Field(None, description="Quiz editors only: the accepted answers of a text question.")


class QuizOut(BaseModel):
    id: int
    title: str
    course: str | None
    passing_percentage: int
    max_attempts: int = Field(description="0: unlimited.")
    time_limit_minutes: int | None
    attempts_left: int | None = Field(None, description="Learners: null means unlimited.")
    questions: list[QuestionOut]


def _question_data(question: Question, *, with_answers: bool, options: list | None = None) -> dict[str, Any]:
    shown = options if options is not None else list(question.options.all())
    data = {
        "id": question.pk,
        "text": question.text,
        "kind": question.kind,
        "marks": float(question.marks),
        "options": [{"id": o.pk, "text": o.text, **({"correct": o.correct} if with_answers else {})} for o in shown],
    }
    if with_answers:
        data["answers"] = list(question.accepted_answers)
    return data


def _quiz_data(quiz: Quiz, *, with_answers: bool, left: int | None = None) -> dict[str, Any]:
    data = {
        "id": quiz.pk,
        "title": quiz.title,
        "course": quiz.course.name if quiz.course_id else None,
        "passing_percentage": quiz.passing_percentage,
        "max_attempts": quiz.max_attempts,
        "time_limit_minutes": quiz.time_limit_minutes,
        "questions": [_question_data(q, with_answers=with_answers) for q in list_questions(quiz=quiz)],
    }
    if not with_answers:
        data["attempts_left"] = left
    return data


def _spec(question: QuestionIn) -> QuestionSpec:
    answers = question.answer if isinstance(question.answer, list) else [question.answer] if question.answer else []
    return QuestionSpec(
        text=question.text,
        kind=question.kind,
        marks=question.marks,
        answers=answers,
        options=[OptionSpec(text=o.text, correct=o.correct) for o in question.options],
    )


@router.post(
    "/quizzes",
    summary="Create a quiz",
    exclude_unset=True,
    **responses(
        201,
        envelope(QuizOut),
        {**AUTH, **EDITORS_ONLY, 404: "`not_found`: No course named {name}.", **BODY, **VALIDATION},
    ),
)
def create_quiz_endpoint(request: HttpRequest, body: QuizIn):
    """Create a quiz with its questions (`single`, `multiple`, `text`); the answer shows the quiz
    with its answers (the caller edits quizzes)."""
    require_roles(request.auth, *COURSE_EDITORS)
    course = get_course(name=body.course) if body.course else None
    quiz = create_quiz(
        values=QuizFields(
            title=body.title,
            course=course,
            passing_percentage=body.passing_percentage,
            max_attempts=body.max_attempts,
            shuffle_questions=body.shuffle_questions,
            shuffle_options=body.shuffle_options,
            time_limit_minutes=body.time_limit_minutes,
        ),
        questions=[_spec(q) for q in body.questions],
        actor=request.auth,
    )
    return Status(201, {"data": _quiz_data(get_quiz(quiz_id=quiz.pk), with_answers=True)})


@router.get(
    "/quizzes/{id}",
    summary="Read a quiz",
    exclude_unset=True,
    **responses(200, envelope(QuizOut), {**AUTH, 403: NOT_ENROLLED, **QUIZ_NOT_FOUND, **VALIDATION}),
)
def read_quiz(request: HttpRequest, id: PathId):
    """A learner gets `{id, title, questions: [{id, text, kind, marks, options: [{id, text}]}]}`
    without the answers (and only when enrolled); quiz editors also get `correct` and `answers`."""
    quiz = get_quiz(quiz_id=id)
    if can_edit_quizzes(request.auth):
        return {"data": _quiz_data(quiz, with_answers=True)}
    check_access(member=request.auth, quiz=quiz)
    return {"data": _quiz_data(quiz, with_answers=False, left=attempts_left(quiz=quiz, member=request.auth))}


class AttemptOut(BaseModel):
    attempt: int = Field(description="1 for the first attempt.")
    started_at: dt.datetime
    deadline: dt.datetime | None = Field(description="With a time limit: submit before this.")
    questions: list[QuestionOut] = Field(description="In the order shown to this attempt, without the answers.")


ATTEMPT_REFUSALS = (
    "`max_attempts_reached`: You have no attempts left for this quiz. `quiz_has_no_questions`: "
    "This quiz has no questions yet."
)


@router.post(
    "/quizzes/{id}/attempts",
    summary="Start an attempt",
    exclude_unset=True,
    **responses(
        201, envelope(AttemptOut), {**AUTH, 403: NOT_ENROLLED, **QUIZ_NOT_FOUND, 409: ATTEMPT_REFUSALS, **VALIDATION}
    ),
)
def start_attempt_endpoint(request: HttpRequest, id: PathId):
    """Start an attempt (or get the open one back): the questions in the order this attempt shows
    them, and with a time limit, the deadline the server enforces."""
    quiz = get_quiz(quiz_id=id)
    attempt = start_attempt(quiz=quiz, member=request.auth, actor=request.auth)
    by_id = {q.pk: q for q in list_questions(quiz=quiz)}
    questions = []
    for entry in attempt.order:
        question = by_id.get(entry["question"])
        if question is not None:
            options = {o.pk: o for o in question.options.all()}
            questions.append(
                _question_data(
                    question, with_answers=False, options=[options[pk] for pk in entry["options"] if pk in options]
                )
            )
    return Status(
        201,
        {
            "data": {
                "attempt": attempt.number,
                "started_at": attempt.started_at,
                "deadline": attempt.deadline,
                "questions": questions,
            }
        },
    )


class AnswerItem(Input):
    question: Id = Field(description="A question id of this quiz.")
    options: list[Id] | None = Field(None, max_length=50, description="`single` (one) and `multiple`: option ids.")
    text: AnswerText | None = Field(None, description="`text` questions.")


class SubmissionIn(Input):
    answers: list[AnswerItem] = Field(max_length=500)
    attempt: Annotated[StrictInt, Field(ge=1, le=100000)] | None = Field(
        None, description="The attempt started with POST .../attempts; default: the open one, else a new one."
    )


class SubmissionOut(BaseModel):
    id: int
    score: float
    score_out_of: float
    percentage: float
    passed: bool
    attempt: int


SUBMIT_REFUSALS = (
    "`max_attempts_reached`: You have no attempts left for this quiz. `attempt_not_started`, "
    "`attempt_not_open`, `time_limit_exceeded`, `quiz_has_no_questions`."
)


@router.post(
    "/quizzes/{id}/submissions",
    summary="Submit answers",
    **responses(
        201,
        envelope(SubmissionOut),
        {
            **AUTH,
            403: NOT_ENROLLED,
            **QUIZ_NOT_FOUND,
            409: SUBMIT_REFUSALS,
            **BODY,
            422: "`validation_error` (fields), `invalid_answer`: an answer names another quiz's question or option.",
        },
    ),
)
def submit_quiz_endpoint(request: HttpRequest, id: PathId, body: SubmissionIn):
    """Grade the caller's answers on the server and record them; questions left out score 0."""
    quiz = get_quiz(quiz_id=id)
    submission = submit_quiz(
        quiz=quiz,
        member=request.auth,
        actor=request.auth,
        attempt=body.attempt,
        answers=[AnswerIn(a.question, options=a.options, text=a.text) for a in body.answers],
    )
    return Status(
        201,
        {
            "data": {
                "id": submission.pk,
                "score": float(submission.score),
                "score_out_of": float(submission.score_out_of),
                "percentage": float(submission.percentage),
                "passed": submission.passed,
                "attempt": submission.attempt,
            }
        },
    )


def binary(media_type: str, errors: dict[int, str]) -> dict[str, Any]:
    """Route keyword arguments of an operation that answers a file: 200 with `media_type`, and the
    documented error responses (as `responses` does for JSON operations)."""
    return {
        "response": {code: ErrorOut for code in errors},
        "openapi_extra": {
            "responses": {
                200: {
                    "description": "The file.",
                    "content": {media_type: {"schema": {"type": "string", "format": "binary"}}},
                },
                **{code: {"description": description} for code, description in errors.items()},
            }
        },
    }


@router.get(
    "/quiz-submissions/{id}.pdf",
    summary="Print a quiz submission (PDF)",
    **binary(
        "application/pdf",
        {**AUTH, 404: "`not_found`: No quiz submission with id {id}. (Learners see their own only.)", **VALIDATION},
    ),
)
def quiz_submission_pdf(request: HttpRequest, id: PathId):
    """The print format: learner, HR id, quiz, course, cohort, attempt, submission time with its
    zone, and every question with the learner's answer, the correct answer and the marks."""
    submission = get_submission(submission_id=id, visible_to=request.auth)
    data = submission_print(submission)
    response = HttpResponse(render_submission_pdf(data), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{pdf_filename(submission, data)}"'
    return response


# Assignments ----------------------------------------------------------------------------------


class AssignmentIn(Input):
    title: Title
    kind: Literal["text", "file"]
    instructions: text(20000) = ""  # type: ignore[valid-type]
    course: CourseName | None = None
    allowed_extensions: text(200) = Field(
        "pdf,docx,odt,xlsx,pptx,txt,png,jpg,jpeg",  # type: ignore[valid-type]
        description="File assignments: comma-separated types.",
    )
    max_file_mb: Annotated[StrictInt, Field(ge=1, le=200)] = 10


class AssignmentOut(BaseModel):
    id: int
    title: str
    kind: str
    instructions: str
    course: str | None
    allowed_extensions: list[str]
    max_file_mb: int


def _assignment_data(assignment: Assignment) -> dict[str, Any]:
    return {
        "id": assignment.pk,
        "title": assignment.title,
        "kind": assignment.kind,
        "instructions": assignment.instructions,
        "course": assignment.course.name if assignment.course_id else None,
        "allowed_extensions": assignment.extensions,
        "max_file_mb": assignment.max_file_mb,
    }


@router.post(
    "/assignments",
    summary="Create an assignment",
    **responses(
        201,
        envelope(AssignmentOut),
        {**AUTH, **EDITORS_ONLY, 404: "`not_found`: No course named {name}.", **BODY, **VALIDATION},
    ),
)
def create_assignment_endpoint(request: HttpRequest, body: AssignmentIn):
    require_roles(request.auth, *COURSE_EDITORS)
    course = get_course(name=body.course) if body.course else None
    assignment = create_assignment(
        title=body.title,
        kind=body.kind,
        instructions=body.instructions,
        course=course,
        allowed_extensions=body.allowed_extensions,
        max_file_mb=body.max_file_mb,
        actor=request.auth,
    )
    return Status(201, {"data": _assignment_data(assignment)})


@router.get(
    "/assignments/{id}",
    summary="Read an assignment",
    **responses(
        200,
        envelope(AssignmentOut),
        {**AUTH, 403: NOT_ENROLLED, 404: "`not_found`: No assignment with id {id}.", **VALIDATION},
    ),
)
def read_assignment(request: HttpRequest, id: PathId):
    assignment = get_assignment(assignment_id=id)
    if not can_edit_quizzes(request.auth):
        check_access(member=request.auth, assignment=assignment)
    return {"data": _assignment_data(assignment)}


class AssignmentSubmissionOut(BaseModel):
    id: int
    assignment: int
    member: str
    status: Literal["submitted", "passed", "failed"]
    text: str
    file_name: str
    file_size: int | None
    submitted_at: dt.datetime
    comment: str
    graded_by: str | None
    graded_at: dt.datetime | None


def _assignment_submission_data(submission: AssignmentSubmission) -> dict[str, Any]:
    return {
        "id": submission.pk,
        "assignment": submission.assignment_id,
        "member": submission.member.email,
        "status": submission.status,
        "text": submission.text,
        "file_name": submission.file_name,
        "file_size": submission.file_size,
        "submitted_at": submission.submitted_at,
        "comment": submission.comment,
        "graded_by": submission.graded_by.email if submission.graded_by else None,
        "graded_at": submission.graded_at,
    }


HAND_IN_REFUSALS = (
    "`assignment_awaiting_grade`: Your previous submission of this assignment is waiting for its "
    "grade. `assignment_already_passed`: You have already passed this assignment."
)


@router.post(
    "/assignments/{id}/submissions",
    summary="Hand in an assignment",
    **responses(
        201,
        envelope(AssignmentSubmissionOut),
        {
            **AUTH,
            403: NOT_ENROLLED,
            404: "`not_found`: No assignment with id {id}.",
            409: HAND_IN_REFUSALS,
            **BODY,
            422: "`answer_required`, `file_type_not_allowed`, `file_too_large`, `validation_error`.",
        },
    ),
)
def submit_assignment_endpoint(request: HttpRequest, id: PathId, text: Form[str] = "", file: File[UploadedFile] = None):
    """multipart/form-data: `text` for a text assignment, `file` for a file assignment (its type is
    checked by name and content, its size against the assignment's limit)."""
    assignment = get_assignment(assignment_id=id)
    submission = submit_assignment(
        assignment=assignment, member=request.auth, actor=request.auth, text=text.replace("\x00", ""), upload=file
    )
    return Status(201, {"data": _assignment_submission_data(submission)})


class GradeIn(Input):
    passed: StrictBool
    comment: text(20000) = ""  # type: ignore[valid-type]


@router.post(
    "/assignment-submissions/{id}/grade",
    summary="Grade an assignment submission",
    **responses(
        200,
        envelope(AssignmentSubmissionOut),
        {
            **AUTH,
            403: "`permission_denied`: only Batch Evaluators and Moderators grade.",
            404: "`not_found`: No assignment submission with id {id}.",
            409: "`already_graded`: This submission has already been graded.",
            **BODY,
            **VALIDATION,
        },
    ),
)
def grade_assignment_endpoint(request: HttpRequest, id: PathId, body: GradeIn):
    """Pass or fail, with a comment; the learner is emailed the result."""
    require_roles(request.auth, *ROSTER_READERS)
    submission = get_assignment_submission(submission_id=id, visible_to=request.auth)
    graded = grade_assignment_submission(
        submission=submission, passed=body.passed, comment=body.comment, actor=request.auth
    )
    return {"data": _assignment_submission_data(graded)}


# Cohort assessments ---------------------------------------------------------------------------


BatchName = text(140, description="The cohort's name.")


class BatchAssessmentIn(Input):
    quiz: Id | None = None
    assignment: Id | None = None
    due_date: Date | None = Field(None, description="A date in the cohort's time zone.")


class BatchAssessmentOut(BaseModel):
    id: int
    batch: str
    kind: Literal["quiz", "assignment"]
    quiz: int | None
    assignment: int | None
    title: str
    due_date: dt.date | None
    status: str | None = Field(None, description="Members: not_started, in_progress, submitted, passed, failed.")
    overdue: bool | None = None


def _assessment_data(assessment: BatchAssessment, status: str | None = None, overdue: bool | None = None) -> dict:
    return {
        "id": assessment.pk,
        "batch": assessment.batch.name,
        "kind": assessment.kind,
        "quiz": assessment.quiz_id,
        "assignment": assessment.assignment_id,
        "title": assessment.title,
        "due_date": assessment.due_date,
        "status": status,
        "overdue": overdue,
    }


@router.get(
    "/batches/{name}/assessments",
    summary="A cohort's assessments",
    **responses(
        200, list_envelope(BatchAssessmentOut), {**AUTH, 404: "`not_found`: No cohort named {name}.", **VALIDATION}
    ),
)
def list_batch_assessments_endpoint(request: HttpRequest, name: BatchName):
    """The quizzes and assignments the cohort's members must pass; for a member, with their status."""
    batch = get_batch(name=name, visible_to=request.auth)
    assessments = list_batch_assessments(batch=batch)
    member = BatchEnrollment.objects.filter(batch=batch, member=request.auth, status=EnrollmentStatus.ACTIVE).exists()
    statuses = member_statuses(assessments=assessments, member_ids=[request.auth.pk]) if member else {}
    data = [_assessment_data(a, statuses.get((a.pk, request.auth.pk))) for a in assessments]
    return {"data": data, "count": len(data)}


@router.post(
    "/batches/{name}/assessments",
    summary="Add an assessment to a cohort",
    **responses(
        201,
        envelope(BatchAssessmentOut),
        {
            **AUTH,
            403: "`permission_denied`: Moderators only.",
            404: "`not_found`: no such cohort, quiz or assignment.",
            409: "`assessment_already_in_cohort`: This cohort already has {title}.",
            **BODY,
            **VALIDATION,
        },
    ),
)
def add_batch_assessment_endpoint(request: HttpRequest, name: BatchName, body: BatchAssessmentIn):
    require_roles(request.auth, *MODERATORS)
    batch = get_batch(name=name, visible_to=request.auth)
    assessment = add_batch_assessment(
        batch=batch,
        actor=request.auth,
        due_date=body.due_date,
        quiz=get_quiz(quiz_id=body.quiz) if body.quiz else None,
        assignment=get_assignment(assignment_id=body.assignment) if body.assignment else None,
    )
    return Status(201, {"data": _assessment_data(assessment)})


class MemberStatusOut(BaseModel):
    member: str
    member_name: str
    assessment: int
    kind: Literal["quiz", "assignment"]
    title: str
    due_date: dt.date | None
    status: str
    overdue: bool


@router.get(
    "/batches/{name}/assessments/status",
    summary="Each member's assessment status",
    **responses(
        200,
        list_envelope(MemberStatusOut),
        {
            **AUTH,
            403: "`permission_denied`: Moderators and Batch Evaluators.",
            404: "`not_found`: No cohort named {name}.",
            **VALIDATION,
        },
    ),
)
def batch_assessment_status(request: HttpRequest, name: BatchName):
    """One item per active member and cohort assessment."""
    require_roles(request.auth, *ROSTER_READERS)
    _, rows = list_batch_assessment_status(batch=get_batch(name=name, visible_to=request.auth))
    data = [
        {
            "member": row.member.email,
            "member_name": row.member.full_name,
            "assessment": a.pk,
            "kind": a.kind,
            "title": a.title,
            "due_date": a.due_date,
            "status": status,
            "overdue": overdue,
        }
        for row in rows
        for a, status, overdue in row.cells
    ]
    return {"data": data, "count": len(data)}


@router.get(
    "/batches/{name}/quiz-submissions.zip",
    summary="A cohort's quiz submissions as PDFs (ZIP)",
    **binary(
        "application/zip",
        {
            **AUTH,
            403: "`permission_denied`: Moderators and Batch Evaluators.",
            404: "`not_found`: No cohort named {name}.",
            **VALIDATION,
        },
    ),
)
def batch_submissions_zip(request: HttpRequest, name: BatchName):
    """Every quiz submission of the cohort's members (taken in it, or in its courses) as one PDF
    each, streamed: memory stays flat whatever the number."""
    require_roles(request.auth, *ROSTER_READERS)
    batch = get_batch(name=name, visible_to=request.auth)
    response = StreamingHttpResponse(
        submissions_zip(list_batch_submissions(batch=batch)), content_type="application/zip"
    )
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="{batch.name}-quiz-submissions-{stamp}.zip"'
    return response


class DueOut(BaseModel):
    batch: str
    batch_title: str
    kind: Literal["quiz", "assignment"]
    id: int = Field(description="The quiz's or the assignment's id.")
    title: str
    due_date: dt.date | None
    status: str
    overdue: bool


@router.get("/me/assessments", summary="What is due for me", **responses(200, list_envelope(DueOut), {**AUTH}))
def my_assessments(request: HttpRequest):
    """The assessments of the caller's cohorts with their status, overdue ones first."""
    data = [
        {
            "batch": item.assessment.batch.name,
            "batch_title": item.assessment.batch.title,
            "kind": item.assessment.kind,
            "id": item.assessment.quiz_id or item.assessment.assignment_id,
            "title": item.assessment.title,
            "due_date": item.assessment.due_date,
            "status": item.status,
            "overdue": item.overdue,
        }
        for item in list_due_assessments(member=request.auth)
    ]
    return {"data": data, "count": len(data)}
