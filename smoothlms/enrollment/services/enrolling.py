"""Enrolling one member (the desk, the portal, the API, HR rules)."""

from __future__ import annotations

from collections.abc import Mapping

from django.db import IntegrityError, transaction
from django.utils import timezone

from smoothlms.catalog.models import Batch
from smoothlms.core.audit import record_event
from smoothlms.core.db import violated_constraint
from smoothlms.core.models import EventType
from smoothlms.enrollment.errors import AlreadyEnrolled, CohortFull
from smoothlms.enrollment.locks import lock_batches
from smoothlms.enrollment.models import BatchEnrollment, EnrollmentStatus, MemberType, Payment, Source
from smoothlms.enrollment.rules import EnrollRequest, MemberFacts, refusal_for
from smoothlms.enrollment.services.access import grant_course_access
from smoothlms.enrollment.services.facts import is_active, read_cohort_facts
from smoothlms.enrollment.services.payments import pays_for, received_payment
from smoothlms.enrollment.services.seats import overrides_start, seat_fields, take_seats
from smoothlms.enrollment.services.waitlist import waitlist_fields, waits_instead
from smoothlms.enrollment.signals import queue_confirmation_emails
from smoothlms.people.models import Employee, User, normalize_email
from smoothlms.people.roles import is_student


def _is_self(member: User | str, actor: User | None) -> bool:
    if actor is None:
        return False
    return member.pk == actor.pk if isinstance(member, User) else normalize_email(member) == actor.email


@transaction.atomic(durable=True)
def enroll(
    *,
    batch: Batch,
    member: User | str,
    actor: User | None,
    source: Source | str,
    override_start: bool = False,
    reason: str = "",
    notify: bool = True,
    payment: Payment | None = None,
    origin: Mapping[str, str] | None = None,
) -> BatchEnrollment:
    """Give `member` a seat in `batch`.

    Rules (enrollment.rules.refusal_for, in the contract's order): visible cohort; only moderators
    enroll others or override the start; an override needs a reason; the member exists, is enabled
    and has the LMS Student role; the cohort and its courses are published; not ended; not already
    enrolled; not started (unless overridden); self-enrollment open and paid for (self only); a seat
    free, else (with the waitlist on) a place on the waitlist.
    Side effects: the enrollment (or the reactivation of a cancelled one), course enrollments
    for the cohort's courses, an audit event (naming `origin`, when given: what set the enrollment in
    motion), the confirmation email after commit (unless `notify` is off)."""
    request = EnrollRequest(
        batch=batch,
        actor=actor,
        is_self=_is_self(member, actor),
        override_start=override_start,
        reason=(reason or "").strip(),
        origin=origin,
    )
    if (error := refusal_for(request)) is not None:  # the request's own checks answer before any read
        raise error
    email = member.email if isinstance(member, User) else normalize_email(member)
    user = member if isinstance(member, User) else User.objects.filter(email=email).first()
    lock_batches(batch)  # every fact below is read as committed, and stays so until we commit
    now = timezone.now()
    existing = BatchEnrollment.objects.filter(batch=batch, member=user).first() if user else None
    if request.is_self and batch.paid_batch and user is not None:
        payment = payment or received_payment(batch=batch, member=user)
        has_paid: bool | None = pays_for(payment, batch=batch, member=user)
    else:
        has_paid = None  # not asked: only self-enrollment in a paid cohort needs a payment
    facts = MemberFacts(
        email=email,
        user=user,
        is_student=user is not None and is_student(user),
        is_enrolled=is_active(existing),
        has_paid=has_paid,
    )
    error = refusal_for(request, facts, read_cohort_facts(batch, now=now))
    if user is not None and waits_instead(error, batch):
        return _wait(request, user, existing, source=source, now=now)
    if error is not None:
        raise error
    assert user is not None  # check 4 refused otherwise
    if not take_seats(batch, 1):  # cannot happen under the lock; the constraint backs it anyway
        raise CohortFull()
    return _seat(request, user, existing, payment=payment, source=source, notify=notify, now=now)


def seat_member(
    *, batch: Batch, user: User, actor: User | None, source: Source | str, reason: str, now, notify: bool
) -> BatchEnrollment:
    """Seat `user` in `batch` (locked by the caller, inside its transaction) on a moderator's
    authority, for a transfer or a replacement: the target's rules apply (`refusal_for`) and a full
    cohort refuses (no waitlist: the caller's whole transaction rolls back)."""
    request = EnrollRequest(batch=batch, actor=actor, is_self=False, reason=reason)
    existing = BatchEnrollment.objects.filter(batch=batch, member=user).first()
    facts = MemberFacts(email=user.email, user=user, is_student=is_student(user), is_enrolled=is_active(existing))
    if (error := refusal_for(request, facts, read_cohort_facts(batch, now=now))) is not None:
        raise error
    if not take_seats(batch, 1):
        raise CohortFull()
    return _seat(request, user, existing, payment=None, source=source, notify=notify, now=now)


def _seat(
    request: EnrollRequest,
    user: User,
    existing: BatchEnrollment | None,
    *,
    payment: Payment | None,
    source: Source | str,
    notify: bool,
    now,
) -> BatchEnrollment:
    batch, actor, reason = request.batch, request.actor, request.reason
    overridden = overrides_start(batch, override_start=request.override_start, now=now)
    fields = {
        **seat_fields(actor=actor, source=source, override_reason=reason if overridden else "", notify=notify),
        "member_type": MemberType.EMPLOYEE if Employee.objects.filter(user=user).exists() else MemberType.EXTERNAL,
        "payment": payment,
    }
    if existing is None:
        enrollment = _create(batch, user, fields, is_self=request.is_self)
        kind = EventType.ENROLLED
    else:
        # Reactivate only if still not active: a concurrent reactivation of the same row wins once.
        updated = (
            BatchEnrollment.objects.filter(pk=existing.pk)
            .exclude(status=EnrollmentStatus.ACTIVE)
            .update(**fields, updated_at=now)
        )
        if updated != 1:
            raise AlreadyEnrolled.for_member(email=user.email, is_self=request.is_self)
        enrollment = BatchEnrollment.objects.get(pk=existing.pk)
        kind = EventType.REACTIVATED
    grant_course_access(batch=batch, member_ids=[user.pk])
    record_event(
        kind,
        actor=actor,
        batch=batch,
        member=user,
        enrollment=enrollment,
        source=source,
        reason=reason if overridden else "",
        before={"status": existing.status} if existing else None,
        after=request.audited({"status": EnrollmentStatus.ACTIVE, "override_start": overridden}),
    )
    if overridden:
        record_event(
            EventType.OVERRIDE,
            actor=actor,
            batch=batch,
            member=user,
            enrollment=enrollment,
            source=source,
            reason=reason,
            after={"starts_at": batch.starts_at.isoformat()},
        )
    if notify:
        queue_confirmation_emails(enrollment_ids=[enrollment.pk])
    return enrollment


def _wait(
    request: EnrollRequest, user: User, existing: BatchEnrollment | None, *, source: Source | str, now
) -> BatchEnrollment:
    """Put `user` at the end of the cohort's waitlist: no seat, no course, no confirmation yet."""
    batch, actor = request.batch, request.actor
    employee = Employee.objects.filter(user=user).exists()
    fields = {
        **waitlist_fields(actor=actor, source=source, at=now),
        "member_type": MemberType.EMPLOYEE if employee else MemberType.EXTERNAL,
    }
    if existing is None:
        enrollment = _create(batch, user, fields, is_self=request.is_self)
    else:
        if (
            BatchEnrollment.objects.filter(pk=existing.pk, status=EnrollmentStatus.CANCELLED).update(
                **fields, updated_at=now
            )
            != 1
        ):
            raise AlreadyEnrolled.for_member(email=user.email, is_self=request.is_self)
        enrollment = BatchEnrollment.objects.get(pk=existing.pk)
    record_event(
        EventType.WAITLISTED,
        actor=actor,
        batch=batch,
        member=user,
        enrollment=enrollment,
        source=source,
        before={"status": existing.status} if existing else None,
        after=request.audited({"status": EnrollmentStatus.WAITLISTED}),
    )
    return enrollment


def _create(batch: Batch, user: User, fields: dict, *, is_self: bool) -> BatchEnrollment:
    try:
        with transaction.atomic():  # savepoint: a unique violation must not poison the transaction
            return BatchEnrollment.objects.create(batch=batch, member=user, **fields)
    except IntegrityError as exc:
        if violated_constraint(exc, ["batch_enrollment_one_per_member"]):
            # A concurrent request enrolled the same member first; our seat is rolled back with us.
            raise AlreadyEnrolled.for_member(email=user.email, is_self=is_self) from exc
        raise
