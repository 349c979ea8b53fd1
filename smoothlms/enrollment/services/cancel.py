"""Cancelling an enrollment or leaving a waitlist: the seat is freed, the history stays.

Every cancellation withdraws the course access the cohort gave (progress kept) and, when it frees a
seat, promotes the waitlist in the same transaction under the cohort's row lock."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from smoothlms.catalog.models import Batch
from smoothlms.core.audit import record_event
from smoothlms.core.models import EventType
from smoothlms.enrollment.errors import CannotCancelOthers, CohortStarted, NotEnrolled, SelfCancelClosed
from smoothlms.enrollment.locks import lock_batches
from smoothlms.enrollment.models import BatchEnrollment, EnrollmentStatus, Source
from smoothlms.enrollment.rules import acts_as_moderator
from smoothlms.enrollment.services.access import withdraw_course_access
from smoothlms.enrollment.services.seats import free_seat
from smoothlms.enrollment.services.waitlist import promote_waitlist
from smoothlms.enrollment.signals import Cancellation, announce_cancellations
from smoothlms.people.models import User, normalize_email

HELD = (EnrollmentStatus.ACTIVE, EnrollmentStatus.WAITLISTED)
USER_DISABLED = "user_disabled"


def withdraw(
    enrollment: BatchEnrollment | None,
    *,
    batch: Batch,
    email: str,
    actor: User | None,
    reason: str,
    source: Source | str,
    now: dt.datetime,
    kind: str = EventType.CANCELLED,
    promote: bool = True,
    after: dict | None = None,
) -> BatchEnrollment:
    """Cancel `enrollment` (active or waitlisted) of `batch`, which the caller has locked. The status
    change is the guard: of two concurrent cancels, one updates the row. `promote` off: the caller
    gives the seat to someone else (a replacement)."""
    if (
        enrollment is None
        or enrollment.status not in HELD
        or not BatchEnrollment.objects.filter(pk=enrollment.pk, status=enrollment.status).update(
            status=EnrollmentStatus.CANCELLED, cancelled_at=now, updated_at=now
        )
    ):
        raise NotEnrolled(email=email)
    before = enrollment.status
    if before == EnrollmentStatus.ACTIVE:
        free_seat(batch)
        withdraw_course_access(batch=batch, member_ids=[enrollment.member_id])
    enrollment.refresh_from_db()
    record_event(
        kind,
        actor=actor,
        batch=batch,
        member=enrollment.member,
        enrollment=enrollment,
        source=source,
        reason=reason,
        before={"status": before},
        after={"status": EnrollmentStatus.CANCELLED, **(after or {})},
    )
    announce_cancellations(
        [
            Cancellation(
                enrollment.pk,
                _email_reason(kind, reason, enrollment, actor),
                had_seat=before == EnrollmentStatus.ACTIVE,
            )
        ],
        cancelled_at=now,
    )
    if promote and before == EnrollmentStatus.ACTIVE:
        promote_waitlist(batch, actor=actor, source=source, now=now)
    batch.refresh_from_db(fields=["seats_taken"])
    return enrollment


def _email_reason(kind: str, reason: str, enrollment: BatchEnrollment, actor: User | None) -> str:
    """What the member's cancellation email says happened: a move, their own decision, or the
    moderator's reason (`user_disabled` for a leaver)."""
    if kind in (EventType.TRANSFERRED, EventType.REPLACED):
        return kind
    if actor is not None and actor.pk == enrollment.member_id:
        return "self"
    return reason


def _row(batch: Batch, email: str) -> BatchEnrollment | None:
    return BatchEnrollment.objects.filter(batch=batch, member__email=email).select_related("member").first()


@transaction.atomic(durable=True)
def cancel_enrollment(
    *, batch: Batch, member: User | str, actor: User | None, reason: str = "", source: Source | str = Source.DESK
) -> BatchEnrollment:
    """Cancel an enrollment or a place on the waitlist. Rules: moderators only; the member is
    enrolled or waitlisted. Side effects: the seat is freed and the first eligible waitlisted member
    takes it; the cohort's course access is withdrawn (progress kept); the row and its history stay;
    audit events. Enrolling again reactivates the row."""
    if not acts_as_moderator(actor):
        raise CannotCancelOthers()
    email = member.email if isinstance(member, User) else normalize_email(member)
    # The cohort first, as every enrolling path does: a cancel and a re-enrollment of the same row
    # then queue on the cohort instead of each holding the lock the other waits for.
    lock_batches(batch)
    return withdraw(
        _row(batch, email), batch=batch, email=email, actor=actor, reason=reason, source=source, now=timezone.now()
    )


@transaction.atomic(durable=True)
def cancel_own_enrollment(*, batch: Batch, member: User, source: Source | str = Source.PORTAL) -> BatchEnrollment:
    """A member leaves a cohort or its waitlist. Rules: the cohort allows self-cancelling
    (`allow_self_cancel`); it has not started; the member is enrolled or waitlisted. Side effects:
    those of `cancel_enrollment`."""
    lock_batches(batch)
    now = timezone.now()
    if not batch.allow_self_cancel:
        raise SelfCancelClosed()
    if batch.has_started(at=now):
        raise CohortStarted()
    return withdraw(
        _row(batch, member.email), batch=batch, email=member.email, actor=member, reason="", source=source, now=now
    )


@transaction.atomic
def withdraw_disabled_user(*, user: User, actor: User | None, source: Source | str = Source.DESK) -> list[int]:
    """Cancel a disabled user's enrollments and waitlist places in cohorts that have not ended
    (reason `user_disabled`); ended cohorts keep their history. Joins the caller's transaction (the
    one that disabled the user). Side effects: seats freed and waitlists promoted, course access
    withdrawn, audit events. Returns the ids of the cohorts left."""
    rows = list(BatchEnrollment.objects.filter(member=user, status__in=HELD).select_related("batch"))
    batches = {row.batch_id: row.batch for row in rows}
    lock_batches(*batches.values())
    now = timezone.now()
    left = []
    for batch in sorted(batches.values(), key=lambda b: b.pk):
        if batch.has_ended(at=now):
            continue
        row = BatchEnrollment.objects.filter(batch=batch, member=user, status__in=HELD).first()
        if row is not None:
            withdraw(row, batch=batch, email=user.email, actor=actor, reason=USER_DISABLED, source=source, now=now)
            left.append(batch.pk)
    return left
