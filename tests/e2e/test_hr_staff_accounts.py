"""End to end (CONTRACT.md section 10): an HR Manager naming a System Manager in an employee record
through the API, the webhook, the import and the HRMS sync gets a 409 or a row error, and the
System Manager still signs in; a replayed signed webhook never undoes a leaver."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.test import Client

from smoothlms.hr.models import HRSyncRun
from smoothlms.hr.sync import sync_hr
from smoothlms.hr.tests.frappe_server import FakeFrappe
from smoothlms.people.models import Employee, User
from smoothlms.people.roles import Role
from smoothlms.people.services import issue_api_key
from smoothlms.people.tests.factories import UserFactory
from tests.e2e.test_hr_api import frappe_doc, hook, post, signed

pytestmark = pytest.mark.django_db
PASSWORD = "admin-pass-123"
EVIL = {"employee": "HR-EVIL-1", "employee_name": "Evil", "user_id": "admin@example.com", "status": "Left"}


@pytest.fixture
def admin():
    return UserFactory(email="admin@example.com", password=PASSWORD, roles=[Role.SYSTEM_MANAGER])


@pytest.fixture
def hr_headers():
    user = UserFactory(email="hr@example.com", roles=[Role.HR_MANAGER])
    return {"HTTP_AUTHORIZATION": f"token {issue_api_key(user=user)}"}


def _still_signs_in() -> None:
    user = User.objects.get(email="admin@example.com")
    assert user.enabled and user.role_names == {Role.SYSTEM_MANAGER}
    assert not Employee.objects.filter(user=user).exists()
    client = Client()
    answer = client.post("/login", {"username": "admin@example.com", "password": PASSWORD})
    assert answer.status_code == 302, answer.content
    assert client.get("/app/").status_code == 200


@pytest.mark.parametrize("status", ["Left", "Active"])
def test_api_answers_409_staff_account(client, admin, hr_headers, status):
    answer = post(client, "/employees", {**EVIL, "status": status}, hr_headers)
    assert answer.status_code == 409
    assert answer.json()["error"]["code"] == "staff_account"
    assert answer.json()["error"]["message"] == (
        "The user admin@example.com holds a staff role; only a System Manager can link it to an HR record."
    )
    assert not Employee.objects.exists()
    _still_signs_in()


def test_webhook_answers_409_staff_account(client, admin, settings):
    settings.HR_WEBHOOK_SECRET = "webhook-secret-for-tests"
    body = frappe_doc("HR-EVIL-1", user_id="admin@example.com", status="Left")
    answer = hook(client, body, signed(body))
    assert answer.status_code == 409 and answer.json()["error"]["code"] == "staff_account"
    _still_signs_in()


def test_import_row_error_staff_account(tmp_path, admin):
    path = tmp_path / "hr.csv"
    path.write_text(
        "ID,Full Name,User ID,Status\nHR-EVIL-1,Evil,admin@example.com,Left\nHR-2,Ana,ana@example.com,Active\n"
    )
    out = io.StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("import_employees", str(path), "--format", "json", "--no-invite", stdout=out)
    assert exited.value.code == 1
    rows = json.loads(out.getvalue())["rows"]
    assert [(row["employee"], row["action"], row["code"]) for row in rows] == [
        ("HR-EVIL-1", "error", "staff_account"),
        ("HR-2", "create", ""),
    ]
    _still_signs_in()


def test_sync_row_error_staff_account(admin, settings):
    with FakeFrappe() as server:
        settings.HRMS_URL, settings.HRMS_API_KEY, settings.HRMS_API_SECRET = server.url, "key", "secret"
        server.add("HR-EVIL-1", "2025-03-01 10:00:00.000000", user_id="admin@example.com", status="Left")
        run = sync_hr()
    assert run.status == HRSyncRun.Status.SUCCEEDED
    assert "HR-EVIL-1: staff_account" in run.error
    _still_signs_in()


def test_signed_webhook_active_left_then_a_replayed_active_keeps_the_user_disabled(client, settings):
    settings.HR_WEBHOOK_SECRET = "webhook-secret-for-tests"
    active = frappe_doc("HR-1", company_email="ana@example.com", modified="2025-03-01 10:00:00.000000")
    left = frappe_doc(
        "HR-1",
        company_email="ana@example.com",
        status="Left",
        relieving_date="2025-03-01",
        modified="2025-03-02 09:00:00.000000",
    )
    first = hook(client, active, signed(active))
    assert first.status_code == 200 and first.json()["data"]["unchanged"] is False
    assert hook(client, left, signed(left)).json()["data"]["user_enabled"] is False
    replay = hook(client, active, signed(active))
    assert replay.status_code == 200
    data = replay.json()["data"]
    assert data["unchanged"] is True and data["user_enabled"] is False and data["status"] == "Left"
    assert not User.objects.get(email="ana@example.com").enabled


def test_a_sync_past_the_hourly_disable_threshold_fails_and_disables_nobody(settings):
    settings.HR_DISABLE_HOURLY_MINIMUM = 1
    with FakeFrappe() as server:
        settings.HRMS_URL, settings.HRMS_API_KEY, settings.HRMS_API_SECRET = server.url, "key", "secret"
        for n in range(5):
            server.add(f"HR-{n}", f"2025-03-01 10:00:0{n}.000000", company_email=f"p{n}@example.com")
        assert sync_hr().status == HRSyncRun.Status.SUCCEEDED
        for n in range(2):
            server.add(
                f"HR-{n}",
                f"2025-03-02 10:00:0{n}.000000",
                company_email=f"p{n}@example.com",
                status="Left",
                relieving_date="2025-03-01",
            )
        run = sync_hr()
    assert run.status == HRSyncRun.Status.FAILED
    assert "would disable 2 employee users within an hour" in run.error
    assert User.objects.filter(email__startswith="p", enabled=True).count() == 5


def test_an_older_api_document_with_modified_changes_nothing(client, hr_headers):
    newer = {
        "employee": "HR-1",
        "employee_name": "Ana",
        "company_email": "ana@example.com",
        "status": "Left",
        "modified": "2025-03-02T10:00:00Z",
    }
    older = {**newer, "status": "Active", "department": "Sales", "modified": "2025-03-01T10:00:00Z"}
    assert post(client, "/employees", newer, hr_headers).status_code == 201
    answer = post(client, "/employees", older, hr_headers)
    assert answer.status_code == 200
    data = answer.json()["data"]
    assert (data["status"], data["department"], data["modified_in_hr"]) == ("Left", "", "2025-03-02T10:00:00Z")
