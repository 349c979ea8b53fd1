"""Enrolling one member (the desk, the portal, the API, HR rules)."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import nullcontext
from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from smoothlms.catalog.errors import BatchNotFound
from smoothlms.catalog.models import Batch
from smoothlms.core.audit import event_fields, record_event
from smoothlms.core.db import violated_constraint
from smoothlms.core.models import EnrollmentEvent, EventType
from smoothlms.enrollment.errors import AlreadyEnrolled, CohortFull
from smoothlms.enrollment.models import BatchEnrollment, EnrollmentStatus, MemberType, Payment, Source
from smoothlms.enrollment.rules import CohortFacts, EnrollRequest, MemberFacts, refusal_for
from smoothlms.enrollment.services.access import grant_course_access
from smoothlms.enrollment.services.facts import (
    MemberRead,
    is_active,
    read_member,
    read_self_enrollment,
    reload_cohort_facts,
)
from smoothlms.enrollment.services.payments import pays_for, received_payment
from smoothlms.enrollment.services.seats import overrides_start, seat_fields, take_seats
from smoothlms.enrollment.services.single_statement import can_seat_in_one_statement, seat_in_one_statement
from smoothlms.enrollment.services.waitlist import waitlist_fields, waits_instead
from smoothlms.enrollment.signals import queue_confirmation_emails
from smoothlms.people.models import User, normalize_email


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
    now = timezone.now()
    cohort = reload_cohort_facts(batch, now=now)
    facts, payment = _member_facts(request, batch, email, user, payment)
    return _enroll(request, facts, cohort, payment=payment, source=source, notify=notify, now=now)


def enroll_self(
    *, batch_name: str, member: User, source: Source | str, payment_id: int | None = None
) -> BatchEnrollment:
    """`member` enrolling themselves in the cohort named `batch_name` (the API's path): `enroll`'s
    rules and side effects. The cohort (its visibility: BatchNotFound, as check 1 says for a cohort
    the member may not see, or none of that name), its facts and the member's are read in one
    statement, as committed, before any transaction: a refusal (a full cohort, most often, under
    load) costs that read alone. A member new to the cohort whom those facts give a seat takes it
    in one statement of its own on PostgreSQL (single_statement: the cohort's row locked while it
    runs); any other request that may take a seat, or wait for one, opens the transaction, where
    `enroll`'s path decides as it does. `payment_id`: the member's payment for
    this cohort (another's, or another cohort's, is as good as none)."""
    now = timezone.now()
    read = read_self_enrollment(batch_name, member, now=now)
    if read is None:
        raise BatchNotFound(name=batch_name)
    batch, cohort, member_read = read
    request = EnrollRequest(batch=batch, actor=member, is_self=True)
    if (error := refusal_for(request)) is not None:
        raise error
    payment = None
    if payment_id is not None:
        payment = Payment.objects.filter(pk=payment_id, member=member, batch=batch).first()
    facts, payment = _member_facts(request, batch, member.email, member, payment, read=member_read)
    error = refusal_for(request, facts, cohort)
    if error is not None and not waits_instead(error, batch):
        raise error  # on committed facts, as `_enroll` would refuse them
    tried = False
    if error is None and facts.enrollment is None and can_seat_in_one_statement():
        enrollment = _seat_at_once(request, facts, payment=payment, source=source, now=now)
        if enrollment is not None:
            return enrollment
        tried = True  # the seat read free was taken meanwhile, or the cohort edited: decided below
    with transaction.atomic(durable=True):
        return _enroll(request, facts, cohort, payment=payment, source=source, notify=True, now=now, tried=tried)


def _enroll(
    request: EnrollRequest,
    facts: _Member,
    cohort: CohortFacts,
    *,
    payment: Payment | None,
    source: Source | str,
    notify: bool,
    now,
    tried: bool = False,
) -> BatchEnrollment:
    """Every fact is read before the cohort's row is locked: the member's, which only this member's
    own requests change (a concurrent enrollment of the same member meets the unique constraint),
    and the cohort's as committed (`cohort`, just read). The lock is then taken by the seat's
    conditional UPDATE and held for the inserts only, so concurrent requests for one cohort queue
    behind a few short statements. `tried`: the caller's conditional seat UPDATE on these facts
    missed already (single_statement)."""
    batch, user = request.batch, facts.user
    error = refusal_for(request, facts, cohort)
    if error is None:
        assert user is not None  # check 4 refused otherwise
        # Only if the cohort is as read: an edit since (published, dates, rules) decides under the lock.
        if not tried and take_seats(batch, 1, unchanged_since=batch.updated_at):
            return _seat(request, user, facts, payment=payment, source=source, notify=notify, now=now)
        # The seat seen free was taken (or the cohort edited) meanwhile. Without a waitlist, a request
        # refused on what is committed now is refused without queueing for the lock (the rush for a
        # cohort's last seats); a waitlist's order is decided under the lock only.
        if not batch.waitlist_enabled:
            error = refusal_for(request, facts, reload_cohort_facts(batch, now=now))
            if error is not None and not waits_instead(error, batch):
                raise error
    elif user is None or not waits_instead(error, batch):
        raise error  # a refusal on committed facts; a full cohort without a waitlist among them
    # A seat free after all, a cohort edited, or a full cohort with a waitlist: decide under the lock,
    # where the waitlist's order and a seat freed meanwhile are seen as committed. The member's facts
    # stand (see above); the cohort's are read again.
    error = refusal_for(request, facts, reload_cohort_facts(batch, now=now, lock=True))
    if user is not None and waits_instead(error, batch):
        return _wait(request, user, facts, source=source, now=now)
    if error is not None:
        raise error
    assert user is not None  # check 4 refused otherwise
    if not take_seats(batch, 1):  # cannot happen under the lock; the constraint backs it anyway
        raise CohortFull()
    return _seat(request, user, facts, payment=payment, source=source, notify=notify, now=now)


@dataclass(frozen=True)
class _Member(MemberFacts):
    """MemberFacts with what the writes need: the member's row in the cohort, their HR record."""

    enrollment: BatchEnrollment | None = None
    employee: bool = False


def _member_facts(
    request: EnrollRequest,
    batch: Batch,
    email: str,
    user: User | None,
    payment: Payment | None,
    *,
    read: MemberRead | None = None,
) -> tuple[_Member, Payment | None]:
    """The member's facts, from `read` (read with the cohort) or read now in one statement: role,
    HR record, row in the cohort; with their payment, for a paid cohort they enroll themselves in."""
    if user is None:
        return _Member(email=email, user=None), payment
    read = read or read_member(batch, user)
    has_paid: bool | None = None  # not asked: only self-enrollment in a paid cohort needs a payment
    if request.is_self and batch.paid_batch:
        payment = payment or received_payment(batch=batch, member=user)
        has_paid = pays_for(payment, batch=batch, member=user)
    facts = _Member(
        email=email,
        user=user,
        is_student=read.is_student,
        is_enrolled=is_active(read.enrollment),
        has_paid=has_paid,
        enrollment=read.enrollment,
        employee=read.employee,
    )
    return facts, payment


def seat_member(
    *, batch: Batch, user: User, actor: User | None, source: Source | str, reason: str, now, notify: bool
) -> BatchEnrollment:
    """Seat `user` in `batch` (locked by the caller, inside its transaction) on a moderator's
    authority, for a transfer or a replacement: the target's rules apply (`refusal_for`) and a full
    cohort refuses (no waitlist: the caller's whole transaction rolls back)."""
    request = EnrollRequest(batch=batch, actor=actor, is_self=False, reason=reason)
    facts, _ = _member_facts(request, batch, user.email, user, None)
    if (error := refusal_for(request, facts, reload_cohort_facts(batch, now=now))) is not None:
        raise error
    if not take_seats(batch, 1):
        raise CohortFull()
    return _seat(request, user, facts, payment=None, source=source, notify=notify, now=now)


def _seat(
    request: EnrollRequest,
    user: User,
    facts: _Member,
    *,
    payment: Payment | None,
    source: Source | str,
    notify: bool,
    now,
) -> BatchEnrollment:
    batch, actor, reason, existing = request.batch, request.actor, request.reason, facts.enrollment
    fields, overridden = _seat_fields(request, facts, payment=payment, source=source, notify=notify, now=now)
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
    record_event(kind, enrollment=enrollment, **_seat_event(request, user, facts, source=source, overridden=overridden))
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


def _seat_at_once(
    request: EnrollRequest, facts: _Member, *, payment: Payment | None, source: Source | str, now
) -> BatchEnrollment | None:
    """`_seat` of a member new to the cohort (no override), with the seat's conditional UPDATE, in
    one statement of its own (single_statement): the same rows, and the cohort's row locked for
    that statement only. None when the seat was taken (or the cohort edited) since `facts` were
    read: nothing was written."""
    batch, user = request.batch, facts.user
    assert user is not None and facts.enrollment is None
    fields, overridden = _seat_fields(request, facts, payment=payment, source=source, notify=True, now=now)
    assert not overridden  # an override takes `_seat`, which records it
    enrollment = BatchEnrollment(batch=batch, member=user, **fields)
    event_kwargs = _seat_event(request, user, facts, source=source, overridden=False)
    event = EnrollmentEvent(**event_fields(EventType.ENROLLED, enrollment=None, **event_kwargs))
    # Autocommit: the statement is its own transaction. Inside one (a test's; a caller's is refused,
    # as `enroll` refuses it) it runs in a durable block.
    block = transaction.atomic(durable=True) if connection.in_atomic_block else nullcontext()
    try:
        with block:
            seated = seat_in_one_statement(batch, enrollment, event, unchanged_since=batch.updated_at)
    except IntegrityError as exc:
        if violated_constraint(exc, ["batch_enrollment_one_per_member"]):
            raise AlreadyEnrolled.for_member(email=user.email, is_self=request.is_self) from exc
        raise
    if seated is not None:
        queue_confirmation_emails(enrollment_ids=[seated.pk])  # committed: sent now
    return seated


def _seat_fields(
    request: EnrollRequest, facts: _Member, *, payment: Payment | None, source: Source | str, notify: bool, now
) -> tuple[dict, bool]:
    """The fields of the member's row for a seat, and whether the seat overrides the start."""
    overridden = overrides_start(request.batch, override_start=request.override_start, now=now)
    fields = {
        **seat_fields(
            actor=request.actor, source=source, override_reason=request.reason if overridden else "", notify=notify
        ),
        "member_type": MemberType.EMPLOYEE if facts.employee else MemberType.EXTERNAL,
        "payment": payment,
    }
    return fields, overridden


def _seat_event(request: EnrollRequest, user: User, facts: _Member, *, source: Source | str, overridden: bool) -> dict:
    """The audit event of a seat (`record_event`'s arguments but the kind and the enrollment)."""
    existing = facts.enrollment
    return {
        "actor": request.actor,
        "batch": request.batch,
        "member": user,
        "source": source,
        "reason": request.reason if overridden else "",
        "before": {"status": existing.status} if existing else None,
        "after": request.audited({"status": EnrollmentStatus.ACTIVE, "override_start": overridden}),
    }


def _wait(request: EnrollRequest, user: User, facts: _Member, *, source: Source | str, now) -> BatchEnrollment:
    """Put `user` at the end of the cohort's waitlist: no seat, no course, no confirmation yet."""
    batch, actor, existing = request.batch, request.actor, facts.enrollment
    fields = {
        **waitlist_fields(actor=actor, source=source, at=now),
        "member_type": MemberType.EMPLOYEE if facts.employee else MemberType.EXTERNAL,
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
    # No savepoint: a unique violation ends the whole transaction, as every caller lets it (the
    # error is raised out of it; a caller that went on would be refused by Django, not misled).
    try:
        with transaction.atomic(savepoint=False):
            return BatchEnrollment.objects.create(batch=batch, member=user, **fields)
    except IntegrityError as exc:
        if violated_constraint(exc, ["batch_enrollment_one_per_member"]):
            # A concurrent request enrolled the same member first; our seat is rolled back with us.
            raise AlreadyEnrolled.for_member(email=user.email, is_self=is_self) from exc
        raise
