"""What the enrollment engine announces to the apps above it. enrollment sits below
notifications, so it names no receiver: notifications connects them in its AppConfig.ready()."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.dispatch import Signal

from smoothlms.enrollment.models import BatchEnrollment

# Sent inside the engine's transaction, with `enrollment_ids`: the confirmations of these
# enrollments are pending (the rows are the outbox) and are to go out once it commits.
confirmation_emails_pending = Signal()


def queue_confirmation_emails(*, enrollment_ids: Iterable[int]) -> None:
    """Ask for the confirmation of each enrollment, sent after the current transaction commits. A
    rolled-back enrollment sends nothing; a lost enqueue only delays the email (the sweep)."""
    confirmation_emails_pending.send(sender=BatchEnrollment, enrollment_ids=list(enrollment_ids))


# Sent inside the engine's transaction, with `cancellations` (a list of Cancellation): these
# enrollments were cancelled at `cancelled_at`; each member is told once the transaction commits.
cancellations_recorded = Signal()


@dataclass(frozen=True)
class Cancellation:
    enrollment_id: int
    reason: str  # a moderator's text, or a code: user_disabled, not_eligible, transferred, replaced, self
    had_seat: bool  # active (the member had the cohort's live classes), not only waitlisted


def announce_cancellations(cancellations: Iterable[Cancellation], *, cancelled_at) -> None:
    """Ask for the cancellation email of each of these enrollments, written in the current
    transaction (a rolled-back cancellation tells nobody) and sent after it commits."""
    cancellations = list(cancellations)
    if cancellations:
        cancellations_recorded.send(sender=BatchEnrollment, cancellations=cancellations, cancelled_at=cancelled_at)
