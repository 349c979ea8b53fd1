"""Training emails: recertification notices, overdue reminders and the managers' weekly digests.

Each message is *claimed* before it is sent (a timestamp moved by one conditional UPDATE, or a row
inserted under a unique constraint), so two workers, or a job run twice, never send it twice. A
message the SMTP server refused gives its claim back, so the next run tries again."""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.template.loader import render_to_string
from django.utils import timezone

from smoothlms.training.dates import human_date
from smoothlms.training.models import RECERTIFICATION_RULE, AssignmentStatus, TrainingAssignment

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Notice:
    key: object  # what the claim was (an assignment id, a user id, a manager's HR id)
    to: str
    subject: str
    body: str


def render_notice(key: object, *, to: str, subject: str, template: str, context: dict) -> Notice:
    body = render_to_string(
        template, {**context, "site_url": settings.SITE_URL, "courses_url": f"{settings.SITE_URL}/lms/courses"}
    )
    return Notice(key=key, to=to, subject=" ".join(subject.split()), body=body)


def send_notices(notices: Iterable[Notice]) -> list[object]:
    """Send each notice over one SMTP connection; returns the keys of those the server did not
    accept (logged), for their claims to be given back."""
    failed: list[object] = []
    connection = get_connection(fail_silently=False)
    try:
        for notice in notices:
            message = EmailMessage(notice.subject, notice.body, to=[notice.to], connection=connection)
            try:
                message.send()
            except (smtplib.SMTPException, OSError) as exc:
                log.warning("training email to %s not sent: %s", notice.to, exc)
                failed.append(notice.key)
    finally:
        try:
            connection.close()
        except (smtplib.SMTPException, OSError):
            log.warning("could not close the SMTP connection cleanly")
    return failed


def deliver_recertification_notices(*, now: dt.datetime | None = None) -> int:
    """Email each holder whose recertification assignment was opened and not yet announced, once:
    the assignments are claimed (`notified_at`) in one UPDATE before anything is sent."""
    now = now or timezone.now()
    pending = TrainingAssignment.objects.filter(
        assigned_by_rule=RECERTIFICATION_RULE, notified_at__isnull=True, status=AssignmentStatus.ASSIGNED
    )
    if not pending.update(notified_at=now):
        return 0
    claimed = (
        TrainingAssignment.objects.filter(assigned_by_rule=RECERTIFICATION_RULE, notified_at=now)
        .select_related("user", "course", "renews")
        .order_by("pk")
    )
    notices = [
        render_notice(
            assignment.pk,
            to=assignment.user.email,
            template="training/email/recertification.txt",
            subject=f"Recertify {assignment.course.title} by {human_date(assignment.due_date)}",
            context={
                "name": assignment.user.display_name,
                "course": assignment.course.title,
                "due_date": human_date(assignment.due_date),
                "certificate": assignment.renews.name if assignment.renews_id else "",
            },
        )
        for assignment in claimed
        if assignment.user.enabled
    ]
    failed = send_notices(notices)
    if failed:
        TrainingAssignment.objects.filter(pk__in=failed).update(notified_at=None)
    return len(notices) - len(failed)
