"""Emailing a learner the grade of an assignment submission. The submission row is the outbox
(result_email_status): pending when graded, claimed (pending -> sending) by one conditional UPDATE
before sending, so two workers never both send it, then sent or failed. A failure is recorded on the row; the desk's
"Resend result email" queues it again. Messages go through notifications' Mailer (the same SMTP
settings and error handling as the cohort emails)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from smoothlms.assessments.models import AssignmentSubmission, GradeStatus, ResultEmailStatus
from smoothlms.core.audit import record_event
from smoothlms.core.models import EventType
from smoothlms.notifications.delivery import ERROR_LENGTH, Mailer
from smoothlms.notifications.ics import calendar_host

log = logging.getLogger(__name__)


def build_result_message(submission: AssignmentSubmission) -> EmailMultiAlternatives:
    passed = submission.status == GradeStatus.PASSED
    context = {
        "name": submission.member.display_name,
        "assignment": submission.assignment.title,
        "cohort": submission.batch.title if submission.batch else "",
        "result": "passed" if passed else "not passed",
        "comment": submission.comment,
        "grader": submission.graded_by.display_name if submission.graded_by else "",
        "url": f"{settings.SITE_URL}/lms/assignments/{submission.assignment_id}",
    }
    subject = f"{submission.assignment.title}: {'passed' if passed else 'not passed'}"
    # The same for every attempt of one result, so a duplicate after a crash can be recognised downstream.
    message_id = f"<assignment-result.{submission.pk}.{submission.graded_at:%Y%m%d%H%M%S%f}@{calendar_host()}>"
    return EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("assessments/email/assignment_result.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[submission.member.email],
        headers={"Message-ID": message_id},
    )


def deliver_assignment_result(*, submission_id: int) -> str:
    """Send the pending result email of one submission, at most once. Returns what happened."""
    claimed = AssignmentSubmission.objects.filter(
        pk=submission_id, result_email_status=ResultEmailStatus.PENDING
    ).update(result_email_status=ResultEmailStatus.SENDING)
    if not claimed:
        return "not pending"
    submission = AssignmentSubmission.objects.select_related("assignment", "member", "graded_by", "batch").get(
        pk=submission_id
    )
    mine = AssignmentSubmission.objects.filter(pk=submission_id, result_email_status=ResultEmailStatus.SENDING)
    if not submission.member.enabled:
        mine.update(
            result_email_status=ResultEmailStatus.FAILED,
            result_email_error=f"Not sent: the user {submission.member.email} is disabled.",
        )
        return "skipped"
    mailer = Mailer()
    try:
        error = mailer.send(build_result_message(submission))
    finally:
        mailer.close()
    if error is not None:
        mine.update(result_email_status=ResultEmailStatus.FAILED, result_email_error=error.text[:ERROR_LENGTH])
        log.warning("result email of assignment submission %s failed: %s", submission_id, error.text)
        return "failed"
    with transaction.atomic():
        if mine.update(
            result_email_status=ResultEmailStatus.SENT, result_email_sent_at=timezone.now(), result_email_error=""
        ):
            record_event(
                EventType.EMAIL_SENT,
                member=submission.member,
                batch=submission.batch,
                after={"email": "assignment_result", "submission": submission.pk, "to": submission.member.email},
            )
    return "sent"
