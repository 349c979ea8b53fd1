"""The periodic jobs of the whole system, shared by every worker.

settings.SMOOTHLMS_PERIODIC_JOBS lists them as (name, dotted path of a task, period in seconds):
the apps register their jobs there, by path, so core names none of them. Each worker's scheduler
thread (`smoothlms worker`) calls `enqueue_periodic_jobs` once a minute; `claim_period` lets
exactly one worker enqueue a job per period, whatever the number of workers and machines.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks.base import Task

from smoothlms.core.models import PeriodicJob


@dataclass(frozen=True)
class PeriodicJobSpec:
    name: str  # the PeriodicJob row's name: keep it when the task moves
    path: str  # dotted path of the task
    period: int  # seconds

    @property
    def task(self) -> Task:
        return import_string(self.path)


def list_periodic_jobs() -> list[PeriodicJobSpec]:
    """The jobs of settings.SMOOTHLMS_PERIODIC_JOBS, in their order."""
    return [PeriodicJobSpec(name, path, int(period)) for name, path, period in settings.SMOOTHLMS_PERIODIC_JOBS]


def claim_period(*, name: str, period: int, worker: str) -> bool:
    """True for exactly one caller per (name, period), whatever the number of workers and
    machines: a conditional UPDATE that moves the job's last period forward. No lock is held."""
    now = timezone.now()
    claimed = PeriodicJob.objects.filter(name=name, last_period__lt=period).update(
        last_period=period, last_enqueued_at=now, last_worker=worker[:128]
    )
    if claimed:
        return True
    if not PeriodicJob.objects.filter(name=name).exists():
        try:
            with transaction.atomic():  # savepoint: another worker may create the row at the same moment
                PeriodicJob.objects.create(
                    name=name, last_period=period, last_enqueued_at=now, last_worker=worker[:128]
                )
            return True
        except IntegrityError:
            return False
    return False


def enqueue_periodic_jobs(*, worker: str, now: dt.datetime | None = None, force: bool = False) -> list[str]:
    """Enqueue the periodic jobs whose period this worker won (all of them with `force`, for
    `smoothlms worker --burst`). Returns the names enqueued."""
    seconds = (now or timezone.now()).timestamp()
    enqueued = []
    for job in list_periodic_jobs():
        period = int(seconds // job.period)
        if claim_period(name=job.name, period=period, worker=worker) or force:
            job.task.enqueue()
            enqueued.append(job.name)
    return enqueued
