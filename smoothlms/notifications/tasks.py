"""Background tasks of notifications: thin, loading rows by id and calling the delivery service."""

from __future__ import annotations

from django_tasks import task


@task()
def send_confirmation_emails(enrollment_ids: list[int]) -> None:
    from smoothlms.notifications.delivery import deliver_confirmations

    deliver_confirmations(enrollment_ids=enrollment_ids)
