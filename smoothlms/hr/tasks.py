"""Background tasks of the HR integration: thin, calling services with ids."""

from __future__ import annotations

from django_tasks import task

from smoothlms.hr.sync import run_periodic_hr_sync


@task()
def periodic_hr_sync() -> None:
    """The periodic job (settings.SMOOTHLMS_PERIODIC_JOBS; the workers' scheduler enqueues it): see
    `run_periodic_hr_sync`."""
    run_periodic_hr_sync()
