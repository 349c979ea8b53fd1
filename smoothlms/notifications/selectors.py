"""Reads on the email outboxes: queue health for the desk, and what the sweep and the reminder job
should pick up."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Min, Q

from smoothlms.catalog.models import Batch, LMSSettings
from smoothlms.core.timeutil import local_instant
from smoothlms.enrollment.models import BatchEnrollment, EmailStatus, EnrollmentStatus
from smoothlms.notifications.models import CancellationNotice
from smoothlms.notifications.policy import MAX_ATTEMPTS, SWEEP_GRACE
from smoothlms.people.models import UserInvitation


@dataclass(frozen=True)
class EmailQueueHealth:
    pending: int  # includes `held`
    held: int  # pending, waiting for the learner to set a password
    failed: int
    oldest_pending_at: dt.datetime | None  # created_at of the oldest pending enrollment


def get_email_queue_health() -> EmailQueueHealth:
    """Confirmation emails still to go, held, and failed, for the desk dashboard. Two queries."""
    hold = bool(LMSSettings.objects.filter(pk=1).values_list("hold_emails_until_password_set", flat=True).first())
    pending = Q(confirmation_email_status=EmailStatus.PENDING)
    aggregates = {
        "pending": Count("pk", filter=pending),
        "failed": Count("pk", filter=Q(confirmation_email_status=EmailStatus.FAILED)),
        "oldest": Min("created_at", filter=pending),
    }
    if hold:
        aggregates["held"] = Count("pk", filter=pending & Q(status=EnrollmentStatus.ACTIVE, member__password_set=False))
    values = BatchEnrollment.objects.aggregate(**aggregates)
    return EmailQueueHealth(
        pending=values["pending"],
        held=values.get("held", 0),
        failed=values["failed"],
        oldest_pending_at=values["oldest"],
    )


def list_due_confirmation_ids(*, now: dt.datetime, limit: int) -> list[int]:
    """Pending confirmations the sweep should enqueue: a retry or an expired claim whose time has
    come, or a row that stayed pending past SWEEP_GRACE (its enqueue was lost). Held rows (LMS
    Settings' hold, no password yet) stay out until the password is set. Oldest first."""
    hold = bool(LMSSettings.objects.filter(pk=1).values_list("hold_emails_until_password_set", flat=True).first())
    queryset = BatchEnrollment.objects.filter(
        Q(confirmation_email_next_attempt__lte=now)
        | Q(confirmation_email_next_attempt__isnull=True, updated_at__lte=now - SWEEP_GRACE),
        confirmation_email_status=EmailStatus.PENDING,
    )
    if hold:
        # A cancelled enrollment's pending row still goes through, to be marked skipped.
        queryset = queryset.filter(Q(member__password_set=True) | ~Q(status=EnrollmentStatus.ACTIVE))
    return list(queryset.order_by("pk").values_list("pk", flat=True)[:limit])


def reminder_time(batch: Batch, *, hour: int) -> dt.datetime:
    """The instant of the reminder: `hour` o'clock on the day before the start, in the cohort's zone."""
    return local_instant(batch.start_date - dt.timedelta(days=1), dt.time(hour), batch.timezone)


def list_due_reminders(*, now: dt.datetime) -> list[BatchEnrollment]:
    """Active enrollments whose cohort's reminder time has come (LMS Settings' reminder_hour on
    the day before the start, in the cohort's zone) and which has not started yet, with no
    reminder sent and none in flight. Left out: enrollments made after the reminder time (their
    confirmation is fresh), confirmations that were skipped (notify off, emails turned off),
    disabled users, held learners, and everything when emails are turned off."""
    lms = LMSSettings.load()
    if not lms.send_confirmation_emails:
        return []
    today = now.astimezone(dt.UTC).date()
    window: Q | None = None
    # Every zone's "tomorrow" lies within these dates (UTC-12 to UTC+14), and a late worker still
    # catches up until the start.
    for batch in Batch.objects.filter(start_date__range=(today - dt.timedelta(days=1), today + dt.timedelta(days=2))):
        send_at = reminder_time(batch, hour=lms.reminder_hour)
        if send_at <= now < batch.starts_at:
            clause = Q(batch_id=batch.pk, created_at__lt=send_at)
            window = clause if window is None else window | clause
    if window is None:
        return []
    queryset = (
        BatchEnrollment.objects.filter(
            window, status=EnrollmentStatus.ACTIVE, reminder_sent_at__isnull=True, member__enabled=True
        )
        .exclude(confirmation_email_status=EmailStatus.SKIPPED)
        .filter(
            Q(reminder_delivery__isnull=True)
            | Q(
                Q(reminder_delivery__claimed_until__isnull=True) | Q(reminder_delivery__claimed_until__lte=now),
                reminder_delivery__sent_at__isnull=True,
                reminder_delivery__attempts__lt=MAX_ATTEMPTS,
            )
        )
    )
    if lms.hold_emails_until_password_set:
        queryset = queryset.filter(member__password_set=True)
    return list(queryset.select_related("batch", "member").order_by("pk"))


def list_due_invitation_user_ids(*, now: dt.datetime, limit: int) -> list[int]:
    """Users with a pending set-password email the sweep should enqueue: a retry or an expired
    claim whose time has come, or a row that stayed pending past SWEEP_GRACE (its enqueue was
    lost). Oldest first, each user once."""
    queryset = UserInvitation.objects.filter(
        Q(next_attempt__lte=now) | Q(next_attempt__isnull=True, created_at__lte=now - SWEEP_GRACE),
        status=UserInvitation.Status.PENDING,
    )
    return list(dict.fromkeys(queryset.order_by("pk").values_list("user_id", flat=True)[:limit]))


def list_due_cancellation_enrollment_ids(*, now: dt.datetime, limit: int) -> list[int]:
    """Enrollments with a pending cancellation email nobody holds (never tried, lease or backoff
    passed), oldest first."""
    due = Q(next_attempt__isnull=True) | Q(next_attempt__lte=now)
    return list(
        dict.fromkeys(
            CancellationNotice.objects.filter(due, status=CancellationNotice.Status.PENDING)
            .order_by("pk")
            .values_list("enrollment_id", flat=True)[:limit]
        )
    )
