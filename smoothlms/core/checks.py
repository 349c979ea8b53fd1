"""System checks of core's settings (`smoothlms check`): a periodic job that cannot run is
reported at start-up, not a minute later in a worker's log."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import CheckMessage, Error
from django.utils.module_loading import import_string
from django_tasks.base import Task


def check_periodic_jobs(app_configs=None, **kwargs) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    names: set[str] = set()
    for index, entry in enumerate(getattr(settings, "SMOOTHLMS_PERIODIC_JOBS", [])):
        where = f"SMOOTHLMS_PERIODIC_JOBS[{index}]"
        try:
            name, path, period = entry
        except (TypeError, ValueError):
            errors.append(
                Error(f"{where}: expected (name, dotted path of a task, seconds), got {entry!r}.", id="smoothlms.E001")
            )
            continue
        if name in names:
            errors.append(Error(f"{where}: the job name {name!r} is listed twice.", id="smoothlms.E002"))
        names.add(name)
        if not isinstance(period, int) or period <= 0:
            errors.append(
                Error(f"{where}: the period of {name!r} must be a positive number of seconds.", id="smoothlms.E003")
            )
        try:
            task = import_string(path)
        except ImportError as exc:
            errors.append(Error(f"{where}: cannot import {path!r}: {exc}", id="smoothlms.E004"))
            continue
        if not isinstance(task, Task):
            errors.append(
                Error(f"{where}: {path!r} is not a task (decorate it with django_tasks.task).", id="smoothlms.E005")
            )
    return errors
