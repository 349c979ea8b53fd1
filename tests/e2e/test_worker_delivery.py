"""Real `smoothlms worker` processes deliver confirmations to a real SMTP server (aiosmtpd): the
database backend, RQ on the real Redis at 127.0.0.1, and a worker killed mid-batch."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from smoothlms.catalog.tests.factories import BatchFactory, CourseFactory
from smoothlms.core.models import PeriodicJob
from smoothlms.enrollment.models import BatchEnrollment, EmailStatus, Source
from smoothlms.enrollment.services import bulk_enroll
from smoothlms.notifications.delivery import CLAIM_SECONDS
from smoothlms.notifications.selectors import SWEEP_GRACE
from smoothlms.notifications.tests.defaults import ensure_email_defaults
from smoothlms.notifications.tests.processes import (
    DATABASE_TASKS,
    RQ_TASKS,
    kill_hard,
    redis_url,
    run_worker,
    start_worker,
    wait_for,
    worker_env,
)
from smoothlms.notifications.tests.smtp import SmtpServer
from smoothlms.people.tests.factories import UserFactory, moderator

pytestmark = [pytest.mark.server, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture(params=["database", "rq"])
def backend(request, settings):
    """The web process enqueues into the backend; the worker process runs it."""
    if request.param == "database":
        settings.TASKS = DATABASE_TASKS
        yield None
        return
    redis = pytest.importorskip("redis")
    url = redis_url()
    client = redis.Redis.from_url(url)
    try:
        client.ping()
    except redis.exceptions.ConnectionError as exc:
        pytest.skip(f"Redis is not reachable at {url}: {exc}")
    client.flushdb()
    settings.TASKS = RQ_TASKS
    settings.RQ_QUEUES = {"default": {"URL": url, "DEFAULT_TIMEOUT": 60}}
    yield url
    client.flushdb()
    client.close()


def enroll_members(count: int) -> list[str]:
    ensure_email_defaults()
    batch = BatchFactory(courses=[CourseFactory()], seat_count=None, timezone="Europe/Berlin")
    emails = [f"worker{n:02d}@example.com" for n in range(count)]
    for email in emails:
        UserFactory(email=email)
    result = bulk_enroll(batch=batch, members=emails, actor=moderator(), source=Source.DESK)
    assert result.created == count
    return emails


def test_a_worker_process_delivers_what_the_web_process_enqueued(smtp, backend):
    emails = enroll_members(3)  # committed: the delivery task is now in the queue, nothing sent yet
    assert smtp.received == []
    assert BatchEnrollment.objects.filter(confirmation_email_status=EmailStatus.PENDING).count() == 3

    result = run_worker(["--burst"], env=worker_env(email_url=smtp.url, redis=backend))
    assert result.returncode == 0, result.stdout + result.stderr
    assert smtp.per_recipient() == {email: 1 for email in emails}
    assert (
        BatchEnrollment.objects.filter(confirmation_email_status=EmailStatus.SENT, confirmation_email_sent=True).count()
        == 3
    )
    assert smtp.received[0].message["Subject"].startswith("You are enrolled in Cohort")


def test_a_worker_killed_mid_batch_loses_nothing_and_sends_nothing_twice(smtp, backend):
    emails = enroll_members(6)
    env = worker_env(email_url=smtp.url, redis=backend)
    smtp.handler.delay = 1.0  # a slow server: the worker is killed while the third message is in flight
    worker = start_worker([], env=env)
    try:
        wait_for(lambda: smtp.handler.data_count >= 3, timeout=60, what="the third message", process=worker)
    finally:
        kill_hard(worker)
    assert len(smtp.received) == 2  # the third never got its "250 OK"
    # Its scheduler thread had taken this minute's periodic jobs.
    assert PeriodicJob.objects.get(name="sweep_email_queue").last_worker.endswith(f"-{worker.pid}")
    rows = BatchEnrollment.objects.order_by("pk")
    assert [r.confirmation_email_status for r in rows] == ["sent"] * 2 + ["pending"] * 4
    in_flight = rows[2]
    assert in_flight.confirmation_email_attempts == 1 and in_flight.confirmation_email_next_attempt > timezone.now()

    # The dead worker's claim expires and the untouched rows age past the sweep's grace (moved
    # here rather than waited for); a worker started again sends what was left.
    BatchEnrollment.objects.filter(confirmation_email_status=EmailStatus.PENDING).update(
        confirmation_email_next_attempt=None, updated_at=timezone.now() - SWEEP_GRACE - dt.timedelta(seconds=1)
    )
    BatchEnrollment.objects.filter(pk=in_flight.pk).update(
        confirmation_email_next_attempt=timezone.now() - dt.timedelta(seconds=1)
    )
    assert CLAIM_SECONDS > 60
    smtp.handler.delay = 0
    result = run_worker(["--burst"], env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert smtp.per_recipient() == {email: 1 for email in emails}
    assert BatchEnrollment.objects.filter(confirmation_email_status=EmailStatus.SENT).count() == 6
    assert BatchEnrollment.objects.get(pk=in_flight.pk).confirmation_email_attempts == 2
