"""Background tasks of notifications: thin, they call the delivery and services functions. Every
task is safe to run twice or on two workers at once (delivery claims each row before sending).
Retries are not the task runner's: a failed send is recorded on its row and the sweep retries it."""

from __future__ import annotations

from django_tasks import task


@task()
def send_confirmation_emails(enrollment_ids: list[int]) -> dict:
    from smoothlms.notifications.delivery import deliver_confirmations

    return vars(deliver_confirmations(enrollment_ids=enrollment_ids))


@task()
def sweep_email_queue() -> int:
    from smoothlms.notifications.services import sweep_email_queue as sweep

    return sweep()


@task()
def send_reminders() -> dict:
    from smoothlms.notifications.delivery import deliver_reminders

    return vars(deliver_reminders())


@task()
def prune_task_results() -> None:
    """The database backend keeps a row per task run: drop finished ones after a week."""
    from django.core.management import call_command
    from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends
    from django_tasks_db.backend import DatabaseBackend

    if isinstance(task_backends[DEFAULT_TASK_BACKEND_ALIAS], DatabaseBackend):
        call_command("prune_db_task_results", min_age_days=7, queue_name="*", verbosity=0)
