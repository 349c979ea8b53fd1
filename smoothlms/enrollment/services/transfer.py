"""Moving a seat: to another cohort (transfer) or to another member (replace).

One transaction each. The cohorts involved are locked in pk order (enrollment.locks), the target's
rules apply, and a refusal rolls the whole move back: nothing changes."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from smoothlms.catalog.models import Batch
from smoothlms.core.models import EventType
from smoothlms.enrollment.errors import CannotEnrollOthers, NotEnrolled
from smoothlms.enrollment.locks import lock_batches
from smoothlms.enrollment.models import BatchEnrollment, EnrollmentStatus, Source
from smoothlms.enrollment.rules import acts_as_moderator
from smoothlms.enrollment.services.cancel import withdraw
from smoothlms.enrollment.services.enrolling import seat_member
from smoothlms.people.errors import UserNotFound
from smoothlms.people.models import User, normalize_email


def _active_row(batch: Batch, email: str) -> BatchEnrollment:
    row = (
        BatchEnrollment.objects.filter(batch=batch, member__email=email, status=EnrollmentStatus.ACTIVE)
        .select_related("member")
        .first()
    )
    if row is None:
        raise NotEnrolled(email=email)
    return row


def _user(member: User | str) -> User:
    if isinstance(member, User):
        return member
    email = normalize_email(member)
    user = User.objects.filter(email=email).first()
    if user is None:
        raise UserNotFound(email=email or "(blank)")
    return user


@transaction.atomic(durable=True)
def transfer_enrollment(
    *,
    batch: Batch,
    member: User | str,
    to_batch: Batch,
    actor: User | None,
    reason: str = "",
    source: Source | str = Source.DESK,
    notify: bool = True,
) -> BatchEnrollment:
    """Move `member`'s seat from `batch` to `to_batch`. Rules: moderators only; the member holds an
    active seat in `batch`; the target's rules (`refusal_for`: published, not ended or started, not
    already enrolled, a seat free, ...). Side effects: the member's row in `to_batch` (new or
    reactivated) with its confirmation email (unless `notify` is off); the source row cancelled
    with a `transferred` event naming the target; courses shared by both cohorts keep their access
    and progress, the others of the source are withdrawn; the source's freed seat goes to its
    waitlist."""
    if not acts_as_moderator(actor):
        raise CannotEnrollOthers()
    email = member.email if isinstance(member, User) else normalize_email(member)
    lock_batches(batch, to_batch)
    now = timezone.now()
    row = _active_row(batch, email)
    moved = seat_member(
        batch=to_batch, user=row.member, actor=actor, source=source, reason=reason, now=now, notify=notify
    )
    withdraw(
        row,
        batch=batch,
        email=email,
        actor=actor,
        reason=reason,
        source=source,
        now=now,
        kind=EventType.TRANSFERRED,
        after={"to_batch": to_batch.name},
    )
    return moved


@transaction.atomic(durable=True)
def replace_enrollment(
    *,
    batch: Batch,
    member: User | str,
    replacement: User | str,
    actor: User | None,
    reason: str = "",
    source: Source | str = Source.DESK,
) -> BatchEnrollment:
    """Pass `member`'s seat in `batch` to `replacement` ("send a colleague instead"). Rules:
    moderators only; the member holds an active seat; the cohort's rules for the replacement, with
    the member's seat counted as free. Side effects: the member's row cancelled with a `replaced`
    event naming the replacement, their course access withdrawn; the replacement seated (new or
    reactivated row, course access, confirmation email); the waitlist is not promoted (the seat
    went to the replacement)."""
    if not acts_as_moderator(actor):
        raise CannotEnrollOthers()
    email = member.email if isinstance(member, User) else normalize_email(member)
    lock_batches(batch)
    now = timezone.now()
    row = _active_row(batch, email)
    colleague = _user(replacement)
    withdraw(
        row,
        batch=batch,
        email=email,
        actor=actor,
        reason=reason,
        source=source,
        now=now,
        kind=EventType.REPLACED,
        promote=False,
        after={"replaced_by": colleague.email},
    )
    return seat_member(batch=batch, user=colleague, actor=actor, source=source, reason=reason, now=now, notify=True)
