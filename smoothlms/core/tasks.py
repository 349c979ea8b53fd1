"""Housekeeping of the task system itself."""

from __future__ import annotations

from django.core.management import call_command
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task, task_backends
from django_tasks_db.backend import DatabaseBackend


@task()
def prune_task_results() -> None:
    """The database backend keeps a row per task run: drop finished ones after a week."""
    if isinstance(task_backends[DEFAULT_TASK_BACKEND_ALIAS], DatabaseBackend):
        call_command("prune_db_task_results", min_age_days=7, queue_name="*", verbosity=0)
