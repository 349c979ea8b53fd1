"""Background tasks of the HR integration: thin, calling services with ids."""

from __future__ import annotations

from django_tasks import task


@task()
def send_invitations(user_ids: list[int]) -> None:
    from smoothlms.hr.invitations import deliver_invitations

    deliver_invitations(user_ids=user_ids)


@task()
def periodic_hr_sync() -> None:
    """The periodic job (the worker's scheduler enqueues it): see `run_periodic_hr_sync`."""
    from smoothlms.hr.sync import run_periodic_hr_sync

    run_periodic_hr_sync()
