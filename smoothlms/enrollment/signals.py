"""What the enrollment engine announces to the apps above it. enrollment sits below
notifications, so it names no receiver: notifications connects them in its AppConfig.ready()."""

from __future__ import annotations

from collections.abc import Iterable

from django.dispatch import Signal

from smoothlms.enrollment.models import BatchEnrollment

# Sent inside the engine's transaction, with `enrollment_ids`: the confirmations of these
# enrollments are pending (the rows are the outbox) and are to go out once it commits.
confirmation_emails_pending = Signal()


def queue_confirmation_emails(*, enrollment_ids: Iterable[int]) -> None:
    """Ask for the confirmation of each enrollment, sent after the current transaction commits. A
    rolled-back enrollment sends nothing; a lost enqueue only delays the email (the sweep)."""
    confirmation_emails_pending.send(sender=BatchEnrollment, enrollment_ids=list(enrollment_ids))
