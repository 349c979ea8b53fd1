"""`smoothlms worker`: run the task worker of the configured backend (the database worker by
default, RQ with REDIS_URL) together with the periodic jobs (settings.SMOOTHLMS_PERIODIC_JOBS:
the email sweep, reminders, the HR sync, pruning).

Any number of workers may run, on any number of machines: each one's scheduler thread tries to
enqueue each periodic job once a minute, and a conditional UPDATE on the job's PeriodicJob row
lets exactly one of them do it per period."""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import time

from django.core.management import call_command
from django.db import connections
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends
from django_tasks_db.backend import DatabaseBackend
from django_tasks_rq.backend import RQBackend

from smoothlms.core.management.base import CommandFailed, SmoothCommand
from smoothlms.core.scheduling import enqueue_periodic_jobs

log = logging.getLogger("smoothlms.worker")


class PeriodicScheduler(threading.Thread):
    """Once a minute, just after the minute turns, enqueue the periodic jobs this worker wins."""

    def __init__(self, worker_id: str) -> None:
        super().__init__(name="smoothlms-scheduler", daemon=True)  # dies with the worker process
        self.worker_id = worker_id
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            try:
                enqueued = enqueue_periodic_jobs(worker=self.worker_id)
                if enqueued:
                    log.info("scheduler: enqueued %s", ", ".join(enqueued))
            except Exception:  # noqa: BLE001 - database or queue unreachable: try again next minute
                log.exception("scheduler: could not enqueue the periodic jobs")
            finally:
                connections.close_all()  # this thread's connections: do not hold one between ticks
            # A little jitter spreads the workers' attempts; only one wins each period anyway.
            self.stopped.wait(60 - time.time() % 60 + random.uniform(0.2, 2.0))  # noqa: S311


class Command(SmoothCommand):
    help = "Run the background task worker of the configured backend (database or Redis/RQ) and the periodic jobs."

    def add_arguments(self, parser):
        parser.add_argument(
            "--burst", action="store_true", help="run the periodic jobs once, process everything queued, then exit"
        )
        parser.add_argument(
            "--no-scheduler",
            action="store_true",
            help="do not enqueue the periodic jobs (email sweep, reminders) from this worker",
        )

    def run(self, *, burst: bool = False, no_scheduler: bool = False, verbosity: int = 1, **options):
        backend = task_backends[DEFAULT_TASK_BACKEND_ALIAS]
        if not isinstance(backend, RQBackend | DatabaseBackend):
            raise CommandFailed(
                "no_worker",
                f"the {type(backend).__name__} runs tasks in the process that enqueues them; no worker is needed",
            )
        worker_id = f"{socket.gethostname()}-{os.getpid()}"[:64]
        if not no_scheduler:
            if burst:
                enqueue_periodic_jobs(worker=worker_id, force=True)
            else:
                PeriodicScheduler(worker_id).start()
        queues = sorted(backend.queues) or ["default"]
        if isinstance(backend, RQBackend):
            call_command(
                "rqworker",
                *queues,
                job_class="django_tasks_rq.backend.Job",
                burst=burst,
                with_scheduler=True,
                name=worker_id,
                verbosity=verbosity,
            )
        else:
            call_command(
                "db_worker",
                queue_name=",".join(queues),
                batch=burst,
                reload=False,
                startup_delay=not burst,
                worker_id=worker_id,
                verbosity=verbosity,
            )
