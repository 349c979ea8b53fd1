"""Email use cases: queue confirmations after commit, release held ones, resend, sweep the outbox,
and share the periodic jobs among workers."""

from __future__ import annotations

import datetime as dt
import logging

from django.db import IntegrityError, transaction
from django.utils import timezone

from smoothlms.catalog.models import LMSSettings
from smoothlms.core.audit import record_event
from smoothlms.core.db import chunked
from smoothlms.core.models import EventType
from smoothlms.core.tasks import enqueue_after_commit
from smoothlms.enrollment.models import BatchEnrollment, EmailStatus, EnrollmentStatus
from smoothlms.notifications.errors import EmailsTurnedOff, EnrollmentNotActive, NoConfirmationTemplate
from smoothlms.notifications.models import PeriodicJob
from smoothlms.notifications.selectors import list_due_confirmation_ids
from smoothlms.people.models import User

log = logging.getLogger(__name__)

TASK_CHUNK = 200  # enrollments per delivery task: one SMTP connection serves them all
SWEEP_LIMIT = 5000  # per sweep: a backlog drains over several minutes instead of one huge enqueue


def queue_confirmation_emails(*, enrollment_ids: list[int]) -> None:
    """Send the confirmation of each enrollment once the current transaction commits.

    Called by the enrollment engine inside its transaction. The enrollment rows are the outbox
    (confirmation_email_status = pending): a rolled-back enrollment queues nothing, and an enqueue
    that fails after the commit (queue unreachable) is logged, not raised, since the enrollment
    stands; the periodic sweep picks the row up."""
    from smoothlms.notifications.tasks import send_confirmation_emails

    for ids in chunked(enrollment_ids, TASK_CHUNK):
        enqueue_after_commit(send_confirmation_emails, ids)


def release_held_emails(*, user: User, actor: User | None = None) -> int:
    """Queue the held confirmations of `user` (LMS Settings: hold emails until password set), to
    be called once the user has set a password. Rules: only pending confirmations of active
    enrollments. Side effects: their delivery, after the current transaction commits (so the
    worker sees the password as set). Returns how many were queued."""
    ids = list(BatchEnrollment.objects.filter(member=user, status=EnrollmentStatus.ACTIVE,
                                              confirmation_email_status=EmailStatus.PENDING)
               .order_by("pk").values_list("pk", flat=True))
    if ids:
        queue_confirmation_emails(enrollment_ids=ids)
    return len(ids)


@transaction.atomic(durable=True)
def resend_confirmation(*, enrollment: BatchEnrollment, actor: User | None) -> BatchEnrollment:
    """Send the confirmation of `enrollment` again (the desk's "Resend confirmation").

    Rules: the enrollment is active; confirmation emails are on and a template is configured
    (the cohort's or LMS Settings'). Side effects: the row goes back to pending (not sent, no
    attempts, no error) and is queued after commit; the delivery writes the EMAIL_SENT or
    EMAIL_FAILED audit event. A new Message-ID: mail clients treat it as a new message."""
    lms = LMSSettings.load()
    current = BatchEnrollment.objects.select_related("batch", "member").get(pk=enrollment.pk)
    if current.status != EnrollmentStatus.ACTIVE:
        raise EnrollmentNotActive(member=current.member.email, status=current.status)
    if not lms.send_confirmation_emails:
        raise EmailsTurnedOff()
    if current.batch.confirmation_email_template_id is None and lms.batch_confirmation_template_id is None:
        raise NoConfirmationTemplate()
    # Conditional on still being active: a cancellation that committed since we read wins.
    if not BatchEnrollment.objects.filter(pk=current.pk, status=EnrollmentStatus.ACTIVE).update(
            confirmation_email_status=EmailStatus.PENDING, confirmation_email_sent=False,
            confirmation_email_sent_at=None, confirmation_email_attempts=0, confirmation_email_next_attempt=None,
            confirmation_email_error="", updated_at=timezone.now()):
        raise EnrollmentNotActive(member=current.member.email, status=EnrollmentStatus.CANCELLED)
    record_event(EventType.EMAIL_RESEND_REQUESTED, actor=actor, batch=current.batch, member=current.member,
                 enrollment=current, before={"confirmation_email_status": current.confirmation_email_status})
    queue_confirmation_emails(enrollment_ids=[current.pk])
    current.refresh_from_db()
    return current


def sweep_email_queue(*, now: dt.datetime | None = None) -> int:
    """Enqueue delivery of the confirmations that stayed pending (lost enqueue, retry due, a
    crashed worker's expired claim). Safe to run any number of times at once: delivery claims
    each row. Returns how many enrollments were enqueued."""
    from smoothlms.notifications.tasks import send_confirmation_emails

    ids = list_due_confirmation_ids(now=now or timezone.now(), limit=SWEEP_LIMIT)
    for chunk in chunked(ids, TASK_CHUNK):
        send_confirmation_emails.enqueue(chunk)
    if ids:
        log.info("email sweep: enqueued %d pending confirmations", len(ids))
    return len(ids)


# Periodic jobs, shared by every worker ------------------------------------------------------------

PERIODS = {"sweep_email_queue": 60, "send_reminders": 60, "hr_sync": 300, "prune_task_results": 86400}  # seconds


def claim_period(*, name: str, period: int, worker: str) -> bool:
    """True for exactly one caller per (name, period), whatever the number of workers and
    machines: a conditional UPDATE that moves the job's last period forward. No lock is held."""
    now = timezone.now()
    claimed = PeriodicJob.objects.filter(name=name, last_period__lt=period).update(
        last_period=period, last_enqueued_at=now, last_worker=worker[:128])
    if claimed:
        return True
    if not PeriodicJob.objects.filter(name=name).exists():
        try:
            with transaction.atomic():  # savepoint: another worker may create the row at the same moment
                PeriodicJob.objects.create(name=name, last_period=period, last_enqueued_at=now,
                                           last_worker=worker[:128])
            return True
        except IntegrityError:
            return False
    return False


def enqueue_periodic_jobs(*, worker: str, now: dt.datetime | None = None, force: bool = False) -> list[str]:
    """Enqueue the periodic jobs whose period this worker won (all of them with `force`, for
    `smoothlms worker --burst`). Returns the names enqueued."""
    from smoothlms.hr.tasks import periodic_hr_sync
    from smoothlms.notifications import tasks

    jobs = {"sweep_email_queue": tasks.sweep_email_queue, "send_reminders": tasks.send_reminders,
            # The HRMS pull (when HRMS_URL is set), onboarding rules and pending invitations.
            "hr_sync": periodic_hr_sync, "prune_task_results": tasks.prune_task_results}
    seconds = (now or timezone.now()).timestamp()
    enqueued = []
    for name, task in jobs.items():
        period = int(seconds // PERIODS[name])
        if claim_period(name=name, period=period, worker=worker) or force:
            task.enqueue()
            enqueued.append(name)
    return enqueued
