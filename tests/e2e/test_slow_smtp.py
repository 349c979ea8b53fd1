"""Invitations go out after the provisioning's transactions commit, through the one delivery path
(claim with a lease): an SMTP server that stalls on every message slows only the sender. Meanwhile
a cohort PATCH and a self-enrollment answer at once (no "database is locked"), and each new user
gets exactly one invitation."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, connections
from django.db.transaction import get_connection

from smoothlms.catalog.tests.factories import BatchFactory, CourseFactory
from smoothlms.hr.services import provision_employees
from smoothlms.hr.tests.factories import record
from smoothlms.notifications.delivery import deliver_invitations
from smoothlms.notifications.tests.processes import DATABASE_TASKS
from smoothlms.notifications.tests.smtp import SmtpServer
from smoothlms.people.models import User, UserInvitation
from smoothlms.people.roles import Role
from smoothlms.people.services import issue_api_key
from smoothlms.people.tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)
STALL = 1.5  # seconds the server spends on each message
HIRES = 4


@pytest.fixture
def stalling_smtp(settings):
    server = SmtpServer().start()
    server.handler.delay = STALL
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 10
    yield server
    server.stop()


def _worker(user_ids: list[int]) -> None:
    """What a `smoothlms worker` runs for the enqueued invitation task: the one delivery path."""
    try:
        deliver_invitations(user_ids=user_ids)
    finally:
        connections.close_all()


def test_a_stalling_smtp_server_slows_only_the_sender(client, stalling_smtp, settings):
    settings.TASKS = DATABASE_TASKS  # as in production: the web process enqueues, workers send
    moderator = UserFactory(email="mod@example.com", roles=[Role.MODERATOR, Role.LMS_STUDENT])
    student = UserFactory(email="learner@example.com")
    batch = BatchFactory(seat_count=10, courses=[CourseFactory()])
    token = {"HTTP_AUTHORIZATION": f"token {issue_api_key(user=moderator)}"}
    learner = {"HTTP_AUTHORIZATION": f"token {issue_api_key(user=student)}"}
    started = time.monotonic()
    report = provision_employees(
        records=[record(f"HR-{n}", company_email=f"hire{n}@example.com") for n in range(HIRES)],
        actor=None,
        source="import",
    )
    assert report.counts["create"] == HIRES
    assert time.monotonic() - started < STALL  # provisioning queued the emails; it did not send them
    hires = list(User.objects.filter(email__startswith="hire").values_list("pk", flat=True))
    # Two workers take the same task at once (a retry, a second worker): the leases keep one send each.
    workers = [threading.Thread(target=_worker, args=(hires,), daemon=True) for _ in range(2)]
    for worker in workers:
        worker.start()
    assert stalling_smtp.handler.data_started.wait(10), "no worker reached the SMTP server"

    started = time.monotonic()
    patched = client.patch(
        f"/api/v1/batches/{batch.name}", {"seat_count": 12}, content_type="application/json", **token
    )
    enrolled = client.post(f"/api/v1/batches/{batch.name}/enroll", content_type="application/json", **learner)
    elapsed = time.monotonic() - started
    assert patched.status_code == 200, patched.content
    assert enrolled.status_code == 201, enrolled.content
    assert elapsed < STALL, f"the API waited for the SMTP server ({elapsed:.1f} s)"
    assert any(worker.is_alive() for worker in workers)  # the senders are still stalled on their messages

    for worker in workers:
        worker.join(HIRES * STALL + 20)
    per_user = stalling_smtp.per_recipient()
    assert {f"hire{n}@example.com": per_user[f"hire{n}@example.com"] for n in range(HIRES)} == {
        f"hire{n}@example.com": 1 for n in range(HIRES)
    }
    rows = list(UserInvitation.objects.filter(user__email__startswith="hire").values_list("user__email", "status"))
    assert sorted(rows) == [(f"hire{n}@example.com", UserInvitation.Status.SENT) for n in range(HIRES)]


class _RecordingBackend:
    """An email backend that notes whether the database connection was inside a transaction at each
    send, then accepts the message (a stand-in for the SMTP server, outside our code)."""

    seen: list[bool] = []

    def __init__(self, *args, **kwargs) -> None:
        pass

    def open(self):
        return True

    def close(self) -> None:
        pass

    def send_messages(self, messages) -> int:
        _RecordingBackend.seen.append(get_connection().in_atomic_block)
        return len(messages)


def test_no_email_is_sent_inside_a_transaction(settings):
    settings.EMAIL_BACKEND = f"{__name__}._RecordingBackend"
    _RecordingBackend.seen = []
    provision_employees(
        records=[record(f"HR-{n}", company_email=f"hire{n}@example.com") for n in range(3)], actor=None, source="import"
    )
    assert len(_RecordingBackend.seen) == 3
    assert _RecordingBackend.seen == [False, False, False]
    assert not connection.in_atomic_block
