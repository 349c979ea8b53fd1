"""Email use cases: queue confirmations and set-password emails after commit, release held
confirmations, resend, and sweep the outboxes.

The enrollment engine and the accounts (people) sit below notifications: they announce what they
wrote through their signals (enrollment.signals, people.signals) and notifications.receivers
calls the functions here."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from smoothlms.catalog.models import LMSSettings
from smoothlms.core.audit import record_event
from smoothlms.core.db import chunked
from smoothlms.core.models import EventType
from smoothlms.core.tasks import enqueue_after_commit
from smoothlms.enrollment.models import BatchEnrollment, EmailStatus, EnrollmentStatus
from smoothlms.enrollment.outbox import fresh_email_state
from smoothlms.notifications.errors import EmailsTurnedOff, EnrollmentNotActive, NoConfirmationTemplate
from smoothlms.notifications.models import CancellationNotice
from smoothlms.notifications.selectors import (
    list_due_cancellation_enrollment_ids,
    list_due_confirmation_ids,
    list_due_invitation_user_ids,
)
from smoothlms.notifications.tasks import send_cancellation_emails, send_confirmation_emails, send_invitations
from smoothlms.people.models import User

log = logging.getLogger(__name__)

TASK_CHUNK = 200  # rows per delivery task: one SMTP connection serves them all
SWEEP_LIMIT = 5000  # per sweep: a backlog drains over several minutes instead of one huge enqueue


def _enqueue_after_commit(task, ids: Iterable[int]) -> None:
    """Enqueue `task` for `ids`, TASK_CHUNK at a time, once the current transaction commits. The
    rows are the outbox: a rolled-back change queues nothing, and an enqueue that fails after the
    commit (queue unreachable) is logged, not raised, since the change stands; the sweep picks the
    rows up (core.tasks.enqueue_after_commit)."""
    for chunk in chunked(list(ids), TASK_CHUNK):
        enqueue_after_commit(task, chunk)


def enqueue_confirmation_emails(*, enrollment_ids: Iterable[int]) -> None:
    """Send the confirmation of each enrollment once the current transaction commits (the
    engine's enrollment.signals.queue_confirmation_emails ends here)."""
    _enqueue_after_commit(send_confirmation_emails, enrollment_ids)


def enqueue_invitations(*, user_ids: Iterable[int]) -> None:
    """Send the pending set-password emails of these users once the current transaction commits
    (people.accounts.queue_invitations ends here)."""
    _enqueue_after_commit(send_invitations, dict.fromkeys(user_ids))


def release_held_emails(*, user: User, actor: User | None = None) -> int:
    """Queue the held confirmations of `user` (LMS Settings: hold emails until password set), to
    be called once the user has set a password. Rules: only pending confirmations of active
    enrollments. Side effects: their delivery, after the current transaction commits (so the
    worker sees the password as set). Returns how many were queued."""
    ids = list(
        BatchEnrollment.objects.filter(
            member=user, status=EnrollmentStatus.ACTIVE, confirmation_email_status=EmailStatus.PENDING
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if ids:
        enqueue_confirmation_emails(enrollment_ids=ids)
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
        **fresh_email_state(), updated_at=timezone.now()
    ):
        raise EnrollmentNotActive(member=current.member.email, status=EnrollmentStatus.CANCELLED)
    record_event(
        EventType.EMAIL_RESEND_REQUESTED,
        actor=actor,
        batch=current.batch,
        member=current.member,
        enrollment=current,
        before={"confirmation_email_status": current.confirmation_email_status},
    )
    enqueue_confirmation_emails(enrollment_ids=[current.pk])
    current.refresh_from_db()
    return current


def sweep_email_queue(*, now: dt.datetime | None = None) -> int:
    """Enqueue delivery of the confirmations that stayed pending (lost enqueue, retry due, a
    crashed worker's expired claim). Safe to run any number of times at once: delivery claims
    each row. Returns how many enrollments were enqueued."""
    ids = list_due_confirmation_ids(now=now or timezone.now(), limit=SWEEP_LIMIT)
    for chunk in chunked(ids, TASK_CHUNK):
        send_confirmation_emails.enqueue(chunk)
    if ids:
        log.info("email sweep: enqueued %d pending confirmations", len(ids))
    return len(ids)


def requeue_pending_invitations(*, now: dt.datetime | None = None) -> int:
    """The same sweep for set-password emails (lost enqueue, SMTP outage, expired claim). Returns
    how many users' emails were enqueued."""
    user_ids = list_due_invitation_user_ids(now=now or timezone.now(), limit=SWEEP_LIMIT)
    for chunk in chunked(user_ids, TASK_CHUNK):
        send_invitations.enqueue(chunk)
    if user_ids:
        log.info("email sweep: enqueued the set-password emails of %d users", len(user_ids))
    return len(user_ids)


def record_cancellations(cancellations, *, cancelled_at: dt.datetime) -> None:
    """Write the outbox row of each cancellation in the current (cancelling) transaction and send
    the emails once it commits (the engine's enrollment.signals.announce_cancellations ends here).
    One row per cancellation: announcing the same one twice writes nothing more."""
    CancellationNotice.objects.bulk_create(
        [
            CancellationNotice(
                enrollment_id=c.enrollment_id, cancelled_at=cancelled_at, reason=c.reason[:255], had_seat=c.had_seat
            )
            for c in cancellations
        ],
        ignore_conflicts=True,
    )
    _enqueue_after_commit(send_cancellation_emails, [c.enrollment_id for c in cancellations])


def requeue_pending_cancellations(*, now: dt.datetime | None = None) -> int:
    """The sweep for cancellation emails (lost enqueue, SMTP outage, expired claim). Returns how
    many enrollments' emails were enqueued."""
    ids = list_due_cancellation_enrollment_ids(now=now or timezone.now(), limit=SWEEP_LIMIT)
    for chunk in chunked(ids, TASK_CHUNK):
        send_cancellation_emails.enqueue(chunk)
    if ids:
        log.info("email sweep: enqueued the cancellation emails of %d enrollments", len(ids))
    return len(ids)
