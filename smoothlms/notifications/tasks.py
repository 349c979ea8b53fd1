"""The tasks that send email, enqueued by the services after commit: thin, they call delivery.
Every task is safe to run twice or on two workers at once (delivery claims each row before
sending). Retries are not the task runner's: a failed send is recorded on its row and the sweep
retries it."""

from __future__ import annotations

from django_tasks import task

from smoothlms.notifications.delivery import deliver_cancellations, deliver_confirmations, deliver_invitations


@task()
def send_confirmation_emails(enrollment_ids: list[int]) -> dict:
    return vars(deliver_confirmations(enrollment_ids=enrollment_ids))


@task()
def send_invitations(user_ids: list[int]) -> dict:
    return vars(deliver_invitations(user_ids=user_ids))


@task()
def send_cancellation_emails(enrollment_ids: list[int]) -> dict:
    return vars(deliver_cancellations(enrollment_ids=enrollment_ids))
