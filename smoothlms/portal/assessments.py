"""Learner pages of assessments (/lms/...): what is due, taking a quiz (start, answer, result) and
handing in an assignment. Thin views: the assessments services grade and record; the pages never
carry the correct answers (the questions are rendered from the attempt's order, options by text).

Domain errors are shown as messages after a redirect (post/redirect/get); a page the learner may
not open answers 403 with the refusal's message."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from smoothlms.assessments import selectors
from smoothlms.assessments.grading import AnswerIn, shown_questions
from smoothlms.assessments.models import AssignmentKind, GradeStatus, QuestionKind
from smoothlms.assessments.services import start_attempt, submit_assignment, submit_quiz
from smoothlms.core.errors import DomainError, Forbidden, NotFound
from smoothlms.portal.views import learner_required


def refused(request: HttpRequest, error: DomainError) -> HttpResponse:
    status = 404 if isinstance(error, NotFound) else 403
    return render(request, "portal/assessments/refused.html", {"message": error.user_message()}, status=status)


@require_safe
@learner_required
def due(request: HttpRequest) -> HttpResponse:
    items = selectors.list_due_assessments(member=request.user)
    return render(request, "portal/assessments/due.html", {"items": items})


# Quizzes --------------------------------------------------------------------------------------


@require_safe
@learner_required
def quiz(request: HttpRequest, quiz_id: int) -> HttpResponse:
    try:
        item = selectors.get_quiz(quiz_id=quiz_id)
        cohort = selectors.check_access(member=request.user, quiz=item)
    except (NotFound, Forbidden) as error:
        return refused(request, error)
    submissions = list(selectors.list_member_submissions(quiz=item, member=request.user))
    return render(
        request,
        "portal/assessments/quiz.html",
        {
            "quiz": item,
            "cohort": cohort,
            "submissions": submissions,
            "passed": any(s.passed for s in submissions),
            "attempts_used": selectors.count_attempts(quiz=item, member=request.user),
            "attempts_left": selectors.attempts_left(quiz=item, member=request.user),
            "open_attempt": selectors.get_open_attempt(quiz=item, member=request.user),
        },
    )


@require_POST
@learner_required
def quiz_start(request: HttpRequest, quiz_id: int) -> HttpResponse:
    try:
        start_attempt(quiz=selectors.get_quiz(quiz_id=quiz_id), member=request.user, actor=request.user)
    except DomainError as error:
        messages.error(request, error.user_message())
        return redirect("portal:quiz", quiz_id=quiz_id)
    return redirect("portal:quiz_attempt", quiz_id=quiz_id)


@require_safe
@learner_required
def quiz_attempt(request: HttpRequest, quiz_id: int) -> HttpResponse:
    try:
        item = selectors.get_quiz(quiz_id=quiz_id)
        selectors.check_access(member=request.user, quiz=item)
    except (NotFound, Forbidden) as error:
        return refused(request, error)
    attempt = selectors.get_open_attempt(quiz=item, member=request.user)
    if attempt is None:
        messages.error(request, "Start an attempt to answer this quiz.")
        return redirect("portal:quiz", quiz_id=quiz_id)
    shown = shown_questions(selectors.list_questions(quiz=item), attempt.order)
    return render(
        request,
        "portal/assessments/attempt.html",
        {
            "quiz": item,
            "attempt": attempt,
            "shown": shown,
            "kinds": QuestionKind,
            "seconds_left": max(int((attempt.deadline - timezone.now()).total_seconds()), 0)
            if attempt.deadline
            else None,
        },
    )


def _answers_from(post, shown) -> list[AnswerIn]:
    answers = []
    for item in shown:
        field = f"q{item.question.pk}"
        if item.question.kind == QuestionKind.TEXT:
            answers.append(AnswerIn(item.question.pk, text=post.get(field, "")))
        else:
            picked = [int(value) for value in post.getlist(field) if value.isdigit()]
            answers.append(AnswerIn(item.question.pk, options=picked))
    return answers


@require_POST
@learner_required
def quiz_submit(request: HttpRequest, quiz_id: int) -> HttpResponse:
    try:
        item = selectors.get_quiz(quiz_id=quiz_id)
        number = request.POST.get("attempt", "")
        shown = shown_questions(selectors.list_questions(quiz=item), [])
        submission = submit_quiz(
            quiz=item,
            member=request.user,
            actor=request.user,
            answers=_answers_from(request.POST, shown),
            attempt=int(number) if number.isdigit() else None,
        )
    except DomainError as error:
        messages.error(request, error.user_message())
        return redirect("portal:quiz", quiz_id=quiz_id)
    return redirect("portal:quiz_result", submission_id=submission.pk)


@require_safe
@learner_required
def quiz_result(request: HttpRequest, submission_id: int) -> HttpResponse:
    """The learner's own result: score, and per question their answer and whether it scored. The
    correct answers stay off this page (the print format, the PDF, has them)."""
    try:
        submission = selectors.get_submission(submission_id=submission_id, visible_to=request.user)
    except NotFound as error:
        return refused(request, error)
    if submission.member_id != request.user.pk:
        return refused(request, Forbidden("This is another learner's submission."))
    left = selectors.attempts_left(quiz=submission.quiz, member=request.user)
    return render(
        request,
        "portal/assessments/result.html",
        {
            "submission": submission,
            "answers": list(submission.answers.order_by("position")),
            "can_retry": left is None or left > 0,
        },
    )


# Assignments ----------------------------------------------------------------------------------


@require_safe
@learner_required
def assignment(request: HttpRequest, assignment_id: int) -> HttpResponse:
    try:
        item = selectors.get_assignment(assignment_id=assignment_id)
        cohort = selectors.check_access(member=request.user, assignment=item)
    except (NotFound, Forbidden) as error:
        return refused(request, error)
    submissions = list(selectors.list_member_assignment_submissions(assignment=item, member=request.user))
    statuses = {s.status for s in submissions}
    return render(
        request,
        "portal/assessments/assignment.html",
        {
            "assignment": item,
            "cohort": cohort,
            "submissions": submissions,
            "is_file": item.kind == AssignmentKind.FILE,
            "can_hand_in": not statuses & {GradeStatus.SUBMITTED, GradeStatus.PASSED},
            "accept": ",".join(f".{ext}" for ext in item.extensions),
        },
    )


@require_POST
@learner_required
def assignment_submit(request: HttpRequest, assignment_id: int) -> HttpResponse:
    try:
        submit_assignment(
            assignment=selectors.get_assignment(assignment_id=assignment_id),
            member=request.user,
            actor=request.user,
            text=request.POST.get("text", ""),
            upload=request.FILES.get("file"),
        )
    except DomainError as error:
        messages.error(request, error.user_message())
    else:
        messages.success(request, "Handed in. You will get an email when it has been graded.")
    return redirect("portal:assignment", assignment_id=assignment_id)
