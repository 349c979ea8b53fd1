"""The periodic jobs of notifications: settings.SMOOTHLMS_PERIODIC_JOBS lists them and the
workers' scheduler (core.scheduling) enqueues them. Apart from tasks.py because they call the
services, which enqueue the tasks of tasks.py."""

from __future__ import annotations

from django_tasks import task

from smoothlms.notifications import services
from smoothlms.notifications.delivery import deliver_reminders


@task()
def sweep_email_queue() -> int:
    """Confirmations, set-password and cancellation emails that stayed pending. Returns how many
    were enqueued."""
    return (
        services.sweep_email_queue() + services.requeue_pending_invitations() + services.requeue_pending_cancellations()
    )


@task()
def send_reminders() -> dict:
    return vars(deliver_reminders())
