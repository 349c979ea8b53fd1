"""Work after commit never answers 500 for data that committed (CONTRACT.md section 10): with the
queue unreachable (the RQ backend, Redis down), the failure is logged and the outbox row waits for
the sweep."""

from __future__ import annotations

import socket

import pytest
from django.db import transaction

from smoothlms.core.tasks import after_commit, enqueue_after_commit
from smoothlms.enrollment.models import BatchEnrollment, EmailStatus
from smoothlms.people.models import User, UserInvitation
from smoothlms.people.roles import Role
from smoothlms.people.services import issue_api_key
from smoothlms.people.tests.factories import UserFactory


class UnreachableQueue:
    """A task whose queue cannot be reached, as redis-py fails when nothing listens."""

    module_path = "example.tasks.send"

    def enqueue(self, *args):
        raise ConnectionError("Error 111 connecting to 127.0.0.1:1. Connection refused.")


@pytest.mark.django_db(transaction=True)
def test_a_failed_enqueue_after_commit_is_logged_and_the_committed_data_stands(caplog):
    with transaction.atomic():
        user = UserFactory(email="kept@example.com")
        enqueue_after_commit(UnreachableQueue(), user.pk)
    assert User.objects.filter(email="kept@example.com").exists()
    assert "could not enqueue example.tasks.send" in caplog.text and "periodic sweep" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_nothing_runs_when_the_transaction_rolls_back():
    ran = []
    with pytest.raises(RuntimeError), transaction.atomic():
        after_commit(lambda: ran.append(1), what="record")
        raise RuntimeError("rolled back")
    assert ran == []


@pytest.fixture
def redis_down(settings):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    settings.RQ_QUEUES = {"default": {"URL": f"redis://127.0.0.1:{port}/0", "DEFAULT_TIMEOUT": 5}}


@pytest.mark.django_db(transaction=True)
def test_an_api_enrollment_with_redis_down_answers_201_and_leaves_the_email_pending(client, redis_down, batch):
    moderator = UserFactory(roles=[Role.MODERATOR])
    UserFactory(email="asha@example.com")
    answer = client.post(
        f"/api/v1/batches/{batch.name}/enrollments",
        data={"member": "asha@example.com"},
        content_type="application/json",
        headers={"Authorization": f"token {issue_api_key(user=moderator)}"},
    )
    assert answer.status_code == 201, answer.content
    enrollment = BatchEnrollment.objects.get(member__email="asha@example.com")
    assert enrollment.confirmation_email_status == EmailStatus.PENDING  # the sweep sends it later


@pytest.mark.django_db(transaction=True)
def test_an_hr_upsert_with_redis_down_answers_201_and_leaves_the_invitation_pending(client, redis_down):
    hr = UserFactory(roles=[Role.HR_MANAGER])
    answer = client.post(
        "/api/v1/employees",
        data={"employee": "HR-1", "employee_name": "Asha", "status": "Active", "company_email": "asha@example.com"},
        content_type="application/json",
        headers={"Authorization": f"token {issue_api_key(user=hr)}"},
    )
    assert answer.status_code == 201, answer.content
    invitation = UserInvitation.objects.get(user__email="asha@example.com")
    assert invitation.status == UserInvitation.Status.PENDING
