"""What notifications does when the apps below it announce something (their signals): the
enrollment engine and the accounts name no app above them, notifications listens. Connected in
NotificationsConfig.ready()."""

from __future__ import annotations

from django.dispatch import receiver

from smoothlms.enrollment.signals import cancellations_recorded, confirmation_emails_pending
from smoothlms.notifications.services import (
    enqueue_confirmation_emails,
    enqueue_invitations,
    record_cancellations,
    release_held_emails,
)
from smoothlms.people.signals import password_set, set_password_emails_pending


@receiver(confirmation_emails_pending, dispatch_uid="smoothlms.notifications.confirmations")
def send_confirmations_after_commit(sender, *, enrollment_ids, **kwargs) -> None:
    enqueue_confirmation_emails(enrollment_ids=enrollment_ids)


@receiver(set_password_emails_pending, dispatch_uid="smoothlms.notifications.invitations")
def send_invitations_after_commit(sender, *, user_ids, **kwargs) -> None:
    enqueue_invitations(user_ids=user_ids)


@receiver(password_set, dispatch_uid="smoothlms.notifications.release_held")
def release_held_confirmations(sender, *, user, **kwargs) -> None:
    release_held_emails(user=user)


@receiver(cancellations_recorded, dispatch_uid="smoothlms.notifications.cancellations")
def tell_cancelled_members(sender, *, cancellations, cancelled_at, **kwargs) -> None:
    record_cancellations(cancellations, cancelled_at=cancelled_at)
