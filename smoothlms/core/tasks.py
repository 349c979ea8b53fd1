"""The task system's own work: housekeeping of its results, and work that runs once the current
transaction commits without ever answering 500 for it.

When a request's data has committed, a failure in what follows (the task queue unreachable: Redis
down with the RQ backend) must not turn the answer into an error: the change stands. Each caller
keeps an outbox row (an enrollment's pending confirmation, a pending invitation, a joiner not yet
onboarded) that a periodic sweep picks up, so a failure here is logged and only delays the work."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from typing import Any

from django.core.management import call_command
from django.db import transaction
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task, task_backends
from django_tasks_db.backend import DatabaseBackend

from smoothlms.core import uploads

log = logging.getLogger(__name__)


@task()
def prune_task_results() -> None:
    """The database backend keeps a row per task run: drop finished ones after a week."""
    if isinstance(task_backends[DEFAULT_TASK_BACKEND_ALIAS], DatabaseBackend):
        call_command("prune_db_task_results", min_age_days=7, queue_name="*", verbosity=0)


@task()
def prune_uploads() -> None:
    """Uploads kept for a preview that was never applied, and failed-row files, go after a day."""
    uploads.prune()


def enqueue_after_commit(job: Any, *args: Any) -> None:
    """`job.enqueue(*args)` once the current transaction commits (at once outside one); a failed
    enqueue is logged and left to the sweep. Pass ids, not model instances."""
    name = getattr(job, "module_path", None) or getattr(job, "name", None) or repr(job)
    after_commit(partial(job.enqueue, *args), what=f"enqueue {name}{args!r}")


def after_commit(func: Callable[[], Any], *, what: str) -> None:
    """`func()` once the current transaction commits; an error is logged (naming `what`), not raised."""
    transaction.on_commit(partial(_run_logged, func, what))


def _run_logged(func: Callable[[], Any], what: str) -> None:
    try:
        func()
    except Exception:  # noqa: BLE001 - the data committed: log, and the sweep does it later
        log.exception("after commit: could not %s; left for the periodic sweep", what)
