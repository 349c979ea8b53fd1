"""The waitlist of a full cohort (CONTRACT.md section 14): joining it, and promoting from it.

A waitlisted row keeps its place by `waitlisted_at` (ties by pk); positions are computed, 1-based and
without gaps, by `enrollment.selectors`. Waitlisted rows hold no seat and give no course. Every path
that frees a seat calls `promote_waitlist` under the cohort's row lock, in its own transaction, so a
freed seat is never left empty while someone waits, and never given twice.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from smoothlms.catalog.models import Batch
from smoothlms.core.audit import record_event
from smoothlms.core.models import EventType
from smoothlms.enrollment.errors import (
    CannotEnrollOthers,
    CohortFull,
    NotAStudent,
    NotWaitlisted,
    PromotionReasonRequired,
    UserDisabled,
)
from smoothlms.enrollment.locks import lock_batches
from smoothlms.enrollment.models import BatchEnrollment, EmailStatus, EnrollmentStatus, Source
from smoothlms.enrollment.rules import acts_as_moderator
from smoothlms.enrollment.services.access import grant_course_access
from smoothlms.enrollment.services.events import record_enrollment_events
from smoothlms.enrollment.services.seats import seat_fields, take_seats
from smoothlms.enrollment.signals import Cancellation, announce_cancellations, queue_confirmation_emails
from smoothlms.people.models import User, normalize_email
from smoothlms.people.roles import is_student, student_memberships

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
    # Exists, not IN (every Student's membership): PostgreSQL would hash them all for each read.
    return Q(member__enabled=True) & Q(Exists(student_memberships().filter(user_id=OuterRef("member_id"))))


def promote_waitlist(
    batch: Batch, *, actor: User | None, source: Source | str = Source.DESK, now: dt.datetime | None = None
) -> list[int]:
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
        updated_at=now,
    )
    grant_course_access(batch=batch, member_ids=member_ids)
    record_enrollment_events(
        EventType.PROMOTED,
        batch=batch,
        member_ids=member_ids,
        actor=actor,
        source=source,
        reason="",
        after={"status": EnrollmentStatus.ACTIVE, "from": "waitlist"},
        at=now,
    )
    queue_confirmation_emails(enrollment_ids=ids)
    batch.refresh_from_db(fields=["seats_taken"])
    return member_ids


def _skip_ineligible(
    batch: Batch,
    chosen: list[tuple[int, int, dt.datetime]],
    *,
    actor: User | None,
    source: Source | str,
    now: dt.datetime,
) -> None:
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
    _waitlisted(batch).filter(member_id__in=skipped).update(
        status=EnrollmentStatus.CANCELLED, cancelled_at=now, updated_at=now
    )
    record_enrollment_events(
        EventType.CANCELLED,
        batch=batch,
        member_ids=skipped,
        actor=actor,
        source=source,
        reason=NOT_ELIGIBLE,
        after={"status": EnrollmentStatus.CANCELLED},
        at=now,
    )
    announce_cancellations([Cancellation(pk, NOT_ELIGIBLE, had_seat=False) for pk, _ in rows], cancelled_at=now)


@transaction.atomic(durable=True)
def promote_now(
    *, batch: Batch, member: User | str, actor: User | None, reason: str = "", source: Source | str = Source.DESK
) -> BatchEnrollment:
    """Seat one waitlisted member now (the desk's "Promote now"). Rules: moderators only; the member
    is on the waitlist, enabled and an LMS Student; a seat is free (never more seats than the
    cohort has: else `cohort_full`); a member with others waiting ahead is promoted past them only
    with a reason (`promotion_reason_required`). Side effects: the seat, course access, a
    `promoted` audit event with the reason and how many were passed, the "You have a seat" email
    after commit."""
    if not acts_as_moderator(actor):
        raise CannotEnrollOthers()
    email = member.email if isinstance(member, User) else normalize_email(member)
    lock_batches(batch)
    row = _waitlisted(batch).filter(member__email=email).select_related("member").first()
    if row is None:
        raise NotWaitlisted(email=email)
    _check_promotable(row)
    ahead = (
        _waitlisted(batch)
        .filter(Q(waitlisted_at__lt=row.waitlisted_at) | Q(waitlisted_at=row.waitlisted_at, pk__lt=row.pk))
        .count()
    )
    if ahead and not reason.strip():
        raise PromotionReasonRequired(ahead=ahead, email=email)
    if not take_seats(batch, 1):
        raise CohortFull()
    now = timezone.now()
    BatchEnrollment.objects.filter(pk=row.pk, status=EnrollmentStatus.WAITLISTED).update(
        **{**seat_fields(actor=actor, source=source, override_reason="", notify=True), "promoted_at": now},
        updated_at=now,
    )
    grant_course_access(batch=batch, member_ids=[row.member_id])
    row.refresh_from_db()
    record_event(
        EventType.PROMOTED,
        actor=actor,
        batch=batch,
        member=row.member,
        enrollment=row,
        source=source,
        reason=reason.strip(),
        before={"status": EnrollmentStatus.WAITLISTED},
        after={"status": EnrollmentStatus.ACTIVE, "from": "waitlist", "by_hand": True, "passed": ahead},
    )
    queue_confirmation_emails(enrollment_ids=[row.pk])
    batch.refresh_from_db(fields=["seats_taken"])
    return row


def _check_promotable(row: BatchEnrollment) -> None:
    if not row.member.enabled:
        raise UserDisabled(email=row.member.email)
    if not is_student(row.member):
        raise NotAStudent(email=row.member.email)
