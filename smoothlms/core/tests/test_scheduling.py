"""The periodic jobs: one worker wins each period, and the jobs of the settings are enqueued."""

import datetime as dt

import pytest
from django.conf import settings
from django.db import connection

from smoothlms.core.checks import check_periodic_jobs
from smoothlms.core.models import PeriodicJob
from smoothlms.core.scheduling import claim_period, enqueue_periodic_jobs
from smoothlms.core.testing import run_in_threads

pytestmark = pytest.mark.django_db


def test_one_worker_wins_each_period(db):
    assert claim_period(name="sweep_email_queue", period=1000, worker="a")
    assert not claim_period(name="sweep_email_queue", period=1000, worker="b")
    assert not claim_period(name="sweep_email_queue", period=999, worker="b")
    assert claim_period(name="sweep_email_queue", period=1001, worker="b")
    job = PeriodicJob.objects.get(name="sweep_email_queue")
    assert (job.last_period, job.last_worker) == (1001, "b")
    assert claim_period(name="a_new_job", period=5, worker="a")  # the row is created on first use
    assert not claim_period(name="a_new_job", period=5, worker="b")


@pytest.mark.django_db(transaction=True)
def test_workers_racing_for_a_period_enqueue_once():
    winners = []

    def contend(worker):
        try:
            if claim_period(name="send_reminders", period=42, worker=worker):
                winners.append(worker)
        finally:
            connection.close()

    run_in_threads(contend, ["w1", "w2", "w3", "w4"])
    assert len(winners) == 1


def test_enqueue_periodic_jobs_once_per_minute_unless_forced(batch):
    now = dt.datetime(2031, 1, 1, 0, 0, 30, tzinfo=dt.UTC)  # a minute, not a five-minute boundary, ahead
    assert enqueue_periodic_jobs(worker="a", now=now) == [
        "sweep_email_queue",
        "send_reminders",
        "hr_sync",
        "prune_task_results",
        "prune_uploads",
        "recertify_expiring",
        "remind_overdue_assignments",
        "send_manager_digests",
    ]
    assert enqueue_periodic_jobs(worker="b", now=now) == []
    assert enqueue_periodic_jobs(worker="b", now=now + dt.timedelta(minutes=1)) == [
        "sweep_email_queue",
        "send_reminders",
    ]
    assert enqueue_periodic_jobs(worker="b", now=now + dt.timedelta(minutes=5)) == [
        "sweep_email_queue",
        "send_reminders",
        "hr_sync",
    ]
    assert len(enqueue_periodic_jobs(worker="c", now=now, force=True)) == len(settings.SMOOTHLMS_PERIODIC_JOBS)


def test_the_configured_jobs_pass_the_system_check():
    assert check_periodic_jobs() == []


def test_a_job_that_cannot_run_stops_the_system_check(settings):
    settings.SMOOTHLMS_PERIODIC_JOBS = [
        ("broken",),
        ("nowhere", "smoothlms.core.no_such_module.job", 60),
        ("not_a_task", "smoothlms.core.scheduling.claim_period", 60),
        ("never", "smoothlms.core.tasks.prune_task_results", 0),
        ("never", "smoothlms.core.tasks.prune_task_results", 60),
    ]
    errors = check_periodic_jobs()
    assert [error.id for error in errors] == [
        "smoothlms.E001",
        "smoothlms.E004",
        "smoothlms.E005",
        "smoothlms.E003",
        "smoothlms.E002",
    ]
    assert "smoothlms.core.no_such_module.job" in errors[1].msg
