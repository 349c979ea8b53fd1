"""Background work of training: thin, each calls one service. Every task and job is safe to run
twice or on two workers at once.

Periodic jobs (the work here; smoothlms.training.jobs wraps each as the task the scheduler enqueues):
- smoothlms.training.jobs.recertify_expiring          daily
- smoothlms.training.jobs.remind_overdue_assignments  daily (each assignment at most once a week)
- smoothlms.training.jobs.send_manager_digests        daily or weekly (one digest per manager per week)
"""

from __future__ import annotations

import datetime as dt

from django_tasks import task

from smoothlms.training import notices, reminders, rendering


@task()
def render_certificate_pdfs(certificate_ids: list[int]) -> int:
    return rendering.render_certificate_pdfs(certificate_ids=certificate_ids)


@task()
def send_recertification_notices() -> int:
    return notices.deliver_recertification_notices()


def recertify_expiring(now: dt.datetime | None = None) -> int:
    """Open the recertification assignments due (LMS Settings: recertify_days_before), then, once
    they are committed, queue the email to their holders (each is sent once)."""
    opened = reminders.open_recertification_assignments(now=now)
    if opened:
        send_recertification_notices.enqueue()
    return opened


def remind_overdue_assignments(now: dt.datetime | None = None) -> int:
    return reminders.remind_overdue_assignments(now=now)


def send_manager_digests(now: dt.datetime | None = None) -> int:
    return reminders.send_manager_digests(now=now)
