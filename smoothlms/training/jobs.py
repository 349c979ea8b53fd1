"""Training's periodic jobs (settings.SMOOTHLMS_PERIODIC_JOBS): the worker's scheduler enqueues
each as a task; the work is in smoothlms.training.tasks (callable directly with a `now`)."""

from __future__ import annotations

from django_tasks import task

from smoothlms.training import tasks


@task()
def recertify_expiring() -> int:
    return tasks.recertify_expiring()


@task()
def remind_overdue_assignments() -> int:
    return tasks.remind_overdue_assignments()


@task()
def send_manager_digests() -> int:
    return tasks.send_manager_digests()
