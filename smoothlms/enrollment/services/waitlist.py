"""The waitlist of a full cohort (CONTRACT.md section 14): joining it, and promoting from it.

A waitlisted row keeps its place by `waitlisted_at` (ties by pk); positions are computed, 1-based and
without gaps, by `enrollment.selectors`. Waitlisted rows hold no seat and give no course. Every path
that frees a seat calls `promote_waitlist` under the cohort's row lock, in its own transaction, so a
freed seat is never left empty while someone waits, and never given twice.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q
from django.utils import timezone

from smoothlms.catalog.models import Batch
from smoothlms.core.models import EventType
from smoothlms.enrollment.errors import CohortFull
from smoothlms.enrollment.models import BatchEnrollment, EmailStatus, EnrollmentStatus, Source
from smoothlms.enrollment.services.access import grant_course_access
from smoothlms.enrollment.services.events import record_enrollment_events
from smoothlms.enrollment.services.seats import seat_fields, take_seats
from smoothlms.enrollment.signals import Cancellation, announce_cancellations, queue_confirmation_emails
from smoothlms.people.models import User
from smoothlms.people.roles import student_memberships

ON_WAITLIST_NOTE = "Not sent: the member is on the waitlist; the email goes out when a seat is given."
NOT_ELIGIBLE = "not_eligible"


def waitlist_fields(*, actor: User | None, source: str, at: dt.datetime) -> dict[str, Any]:
    """The row's fields on joining the waitlist at `at`: no seat, no confirmation until promoted."""
    return {
        "status": EnrollmentStatus.WAITLISTED,
        "waitlisted_at": at,
        "source": str(source),
        "override_reason": "",
        "created_by": actor,
        "cancelled_at": None,
        "reminder_sent_at": None,
        "confirmation_email_status": EmailStatus.SKIPPED,
        "confirmation_email_sent": False,
        "confirmation_email_sent_at": None,
        "confirmation_email_attempts": 0,
        "confirmation_email_next_attempt": None,
        "confirmation_email_error": ON_WAITLIST_NOTE,
    }


def waits_instead(error: Exception | None, batch: Batch) -> bool:
    """A full cohort with its waitlist on takes the member on the waitlist instead of refusing."""
    return isinstance(error, CohortFull) and batch.waitlist_enabled


def _waitlisted(batch: Batch):
    return BatchEnrollment.objects.filter(batch=batch, status=EnrollmentStatus.WAITLISTED)


def _eligible() -> Q:
    return Q(member__enabled=True, member_id__in=student_memberships().values("user_id"))


def promote_waitlist(batch: Batch, *, actor: User | None, source: Source | str = Source.DESK,
                     now: dt.datetime | None = None) -> list[int]:
    """Give the free seats of `batch` to the first eligible waitlisted members (FIFO). `batch` has
    just been locked and reloaded in the caller's transaction. A member no longer eligible (disabled,
    or without the LMS Student role) ahead of them is skipped: their row is cancelled with reason
    `not_eligible`, audited. A constant number of statements whatever the waitlist's length.
    Side effects: seats, course access, audit events, the confirmation ("You have a seat") after
    commit. Nothing happens in a cohort that is unpublished or has ended. Returns the promoted
    members' ids."""
    now = now or timezone.now()
    batch.refresh_from_db(fields=["seats_taken", "seat_count"])
    if not batch.published or batch.has_ended(at=now):
        return []  # enrolling would be refused (cohort_not_published, cohort_ended): they keep waiting
    free = None if batch.seat_count is None else batch.seat_count - batch.seats_taken
    if free is not None and free <= 0:
        return []
    queue = _waitlisted(batch).filter(_eligible()).order_by("waitlisted_at", "pk")
    chosen = list((queue if free is None else queue[:free]).values_list("pk", "member_id", "waitlisted_at"))
    _skip_ineligible(batch, chosen, actor=actor, source=source, now=now)
    if not chosen:
        return []
    ids, member_ids = [pk for pk, _, _ in chosen], [member for _, member, _ in chosen]
    if not take_seats(batch, len(ids)):  # cannot happen under the lock; the constraint backs it anyway
        raise CohortFull()
    BatchEnrollment.objects.filter(pk__in=ids).update(
        **{**seat_fields(actor=actor, source=source, override_reason="", notify=True), "promoted_at": now},
        updated_at=now)
    grant_course_access(batch=batch, member_ids=member_ids)
    record_enrollment_events(EventType.PROMOTED, batch=batch, member_ids=member_ids, actor=actor, source=source,
                             reason="", after={"status": EnrollmentStatus.ACTIVE, "from": "waitlist"}, at=now)
    queue_confirmation_emails(enrollment_ids=ids)
    batch.refresh_from_db(fields=["seats_taken"])
    return member_ids


def _skip_ineligible(batch: Batch, chosen: list[tuple[int, int, dt.datetime]], *, actor: User | None,
                     source: Source | str, now: dt.datetime) -> None:
    """Cancel the ineligible rows waiting ahead of the last chosen one (all of them when fewer were
    chosen than seats are free): they would block the head of the queue for ever."""
    ahead = _waitlisted(batch).exclude(_eligible())
    if chosen:
        last_pk, _, last_at = chosen[-1]
        ahead = ahead.filter(Q(waitlisted_at__lt=last_at) | Q(waitlisted_at=last_at, pk__lt=last_pk))
    rows = list(ahead.values_list("pk", "member_id"))
    if not rows:
        return
    skipped = [member_id for _, member_id in rows]
    _waitlisted(batch).filter(member_id__in=skipped).update(status=EnrollmentStatus.CANCELLED, cancelled_at=now,
                                                            updated_at=now)
    record_enrollment_events(EventType.CANCELLED, batch=batch, member_ids=skipped, actor=actor, source=source,
                             reason=NOT_ELIGIBLE, after={"status": EnrollmentStatus.CANCELLED}, at=now)
    announce_cancellations([Cancellation(pk, NOT_ELIGIBLE, had_seat=False) for pk, _ in rows], cancelled_at=now)
