"""Cancelling an enrollment: the seat is freed, the history stays."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from smoothlms.catalog.models import Batch
from smoothlms.core.audit import record_event
from smoothlms.core.models import EventType
from smoothlms.enrollment.errors import CannotCancelOthers, NotEnrolled
from smoothlms.enrollment.locks import lock_batches
from smoothlms.enrollment.models import BatchEnrollment, EnrollmentStatus, Source
from smoothlms.enrollment.rules import acts_as_moderator
from smoothlms.enrollment.services.seats import free_seat
from smoothlms.people.models import User, normalize_email


@transaction.atomic(durable=True)
def cancel_enrollment(*, batch: Batch, member: User | str, actor: User | None, reason: str = "",
                      source: Source | str = Source.DESK) -> BatchEnrollment:
    """Cancel an active enrollment. Rules: moderators only; the member is actively enrolled.
    Side effects: the seat is freed; the row, its course enrollments and their progress stay;
    audit event. Enrolling again reactivates the row."""
    if not acts_as_moderator(actor):
        raise CannotCancelOthers()
    email = member.email if isinstance(member, User) else normalize_email(member)
    # The cohort first, as every enrolling path does: a cancel and a re-enrollment of the same row
    # then queue on the cohort instead of each holding the lock the other waits for.
    lock_batches(batch)
    enrollment = BatchEnrollment.objects.filter(batch=batch, member__email=email).first()
    now = timezone.now()
    # The status change is the guard: of two concurrent cancels, one updates the row.
    if enrollment is None or not BatchEnrollment.objects.filter(
            pk=enrollment.pk, status=EnrollmentStatus.ACTIVE).update(
            status=EnrollmentStatus.CANCELLED, cancelled_at=now, updated_at=now):
        raise NotEnrolled(email=email)
    free_seat(batch)
    enrollment.refresh_from_db()
    record_event(EventType.CANCELLED, actor=actor, batch=batch, member=enrollment.member, enrollment=enrollment,
                 source=source, reason=reason, before={"status": EnrollmentStatus.ACTIVE},
                 after={"status": EnrollmentStatus.CANCELLED})
    batch.refresh_from_db(fields=["seats_taken"])
    return enrollment
