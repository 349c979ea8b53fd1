"""HR over the API: `POST/GET /api/v1/employees` and the signed Frappe HRMS webhook, each provisioning
case end to end."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest
from django.test import Client

from smoothlms.core.models import EnrollmentEvent
from smoothlms.people.models import Employee, User, UserInvitation
from smoothlms.people.roles import Role
from smoothlms.people.services import issue_api_key, set_user_enabled
from smoothlms.people.tests.factories import EmployeeFactory, UserFactory

pytestmark = pytest.mark.django_db
SECRET = "webhook-secret-for-tests"


@pytest.fixture
def hr(client):
    user = UserFactory(email="hr@example.com", roles=[Role.HR_MANAGER])
    return {"HTTP_AUTHORIZATION": f"token {issue_api_key(user=user)}"}


def post(client: Client, path: str, body, headers: dict):
    return client.post(f"/api/v1{path}", data=json.dumps(body), content_type="application/json", **headers)


def doc(hr_id: str, **fields) -> dict:
    return {"employee": hr_id, "employee_name": f"Person {hr_id}", "status": "Active", **fields}


def error(response) -> tuple[int, str]:
    return response.status_code, response.json()["error"]["code"]


# POST /employees ------------------------------------------------------------------------------


def test_upsert_creates_the_employee_and_its_user(client, hr):
    answer = post(
        client,
        "/employees",
        doc("HR-1", company_email=" Ana@Example.com ", employment_type="Intern", date_of_joining="2025-01-06"),
        hr,
    )
    assert answer.status_code == 201, answer.content
    data = answer.json()["data"]
    assert (data["employee"], data["user_id"], data["user_enabled"], data["employment_type"]) == (
        "HR-1",
        "ana@example.com",
        True,
        "Intern",
    )
    assert data["date_of_joining"] == "2025-01-06"
    assert User.objects.get(email="ana@example.com").role_names == {Role.LMS_STUDENT}
    again = post(
        client,
        "/employees",
        doc("HR-1", company_email="ana@example.com", employment_type="Intern", date_of_joining="2025-01-06"),
        hr,
    )
    assert again.status_code == 200 and again.json()["data"] == data


def test_upsert_links_an_existing_user_by_email_in_another_case(client, hr):
    existing = UserFactory(email="bo@example.com")
    answer = post(client, "/employees", doc("HR-2", personal_email="BO@EXAMPLE.COM"), hr)
    assert answer.status_code == 201
    assert answer.json()["data"]["user_id"] == "bo@example.com"
    assert Employee.objects.get(employee="HR-2").user_id == existing.pk
    assert not UserInvitation.objects.exists()


def test_upsert_rehires_and_disables_leavers(client, hr):
    old = UserFactory(email="rita@example.com")
    set_user_enabled(user=old, enabled=False, actor=None)
    EmployeeFactory(employee="HR-OLD", company_email="rita@example.com", user=old, status="Left")
    answer = post(client, "/employees", doc("HR-NEW", company_email="rita@example.com"), hr)
    assert answer.status_code == 201
    assert (answer.json()["data"]["user_id"], answer.json()["data"]["user_enabled"]) == ("rita@example.com", True)
    assert User.objects.count() == 2  # the HR Manager and Rita: no duplicate
    gone = post(
        client,
        "/employees",
        doc("HR-NEW", company_email="rita@example.com", status="Left", relieving_date="2025-01-31"),
        hr,
    )
    assert gone.status_code == 200
    assert gone.json()["data"]["user_enabled"] is False


def test_upsert_refuses_a_user_linked_to_another_active_employee(client, hr):
    post(client, "/employees", doc("HR-1", company_email="a@example.com"), hr)
    answer = post(client, "/employees", doc("HR-2", user_id="a@example.com"), hr)
    assert error(answer) == (409, "user_linked_to_other_employee")
    assert answer.json()["error"]["message"] == "The user a@example.com is already linked to the active employee HR-1."
    assert not Employee.objects.filter(employee="HR-2").exists()


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"employee": "HR-1", "employee_name": "X"}, ["status"]),
        (doc("HR-1", status="Retired"), ["status"]),
        (doc("HR-1", company_email="not an email"), ["company_email"]),
        (doc("HR-1", date_of_joining="2025-02-01", relieving_date="2025-01-01"), ["relieving_date"]),
        (doc("HR-1", shoe_size=42), ["shoe_size"]),
    ],
)
def test_upsert_validation_names_the_fields(client, hr, body, fields):
    answer = post(client, "/employees", body, hr)
    assert error(answer) == (422, "validation_error")
    assert answer.json()["error"]["params"]["fields"] == fields
    assert not Employee.objects.exists()


def test_read_an_employee(client, hr):
    post(client, "/employees", doc("HR-1", company_email="a@example.com"), hr)
    answer = client.get("/api/v1/employees/HR-1", **hr)
    assert answer.status_code == 200 and answer.json()["data"]["user_id"] == "a@example.com"
    missing = client.get("/api/v1/employees/HR-404", **hr)
    assert error(missing) == (404, "not_found")
    assert missing.json()["error"]["message"] == "No employee with HR id HR-404."


def test_only_hr_and_system_managers_reach_employees(client):
    moderator = UserFactory(roles=[Role.MODERATOR])
    headers = {"HTTP_AUTHORIZATION": f"token {issue_api_key(user=moderator)}"}
    assert error(post(client, "/employees", doc("HR-1"), headers)) == (403, "permission_denied")
    assert error(client.get("/api/v1/employees/HR-1", **headers)) == (403, "permission_denied")
    assert error(post(client, "/employees", doc("HR-1"), {})) == (401, "not_authenticated")
    admin = UserFactory(roles=[Role.SYSTEM_MANAGER])
    answer = post(client, "/employees", doc("HR-1"), {"HTTP_AUTHORIZATION": f"token {issue_api_key(user=admin)}"})
    assert answer.status_code == 201 and answer.json()["data"]["user_id"] is None


# The webhook ------------------------------------------------------------------------------------


def signed(body: bytes, secret: str = SECRET) -> dict:
    signature = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    return {"HTTP_X_FRAPPE_WEBHOOK_SIGNATURE": signature}


def hook(client: Client, body: bytes, headers: dict):
    return client.post("/api/v1/hr/webhook", data=body, content_type="application/json", **headers)


@pytest.fixture
def webhook_secret(settings):
    settings.HR_WEBHOOK_SECRET = SECRET


def frappe_doc(hr_id: str, **fields) -> bytes:
    # As Frappe sends it: `name` is the HR id, nulls for empty fields, the doctype's own keys.
    return json.dumps(
        {
            "name": hr_id,
            "doctype": "Employee",
            "employee_name": f"Person {hr_id}",
            "status": "Active",
            "company_email": None,
            "personal_email": None,
            "user_id": None,
            "relieving_date": None,
            "modified": "2025-03-01 10:00:00.000000",
            **fields,
        }
    ).encode()


def test_signed_webhook_provisions_each_case(client, webhook_secret):
    body = frappe_doc("HR-1", company_email="new@example.com", employment_type="Contract")
    answer = hook(client, body, signed(body))
    assert answer.status_code == 200, answer.content
    assert answer.json()["data"]["user_id"] == "new@example.com"
    existing = UserFactory(email="old@example.com")
    body = frappe_doc("HR-2", personal_email="OLD@example.com")
    assert hook(client, body, signed(body)).json()["data"]["user_id"] == existing.email
    body = frappe_doc(
        "HR-1",
        company_email="new@example.com",
        status="Left",
        relieving_date="2025-02-28",
        modified="2025-03-02 10:00:00",
    )  # each change of the document is newer
    assert hook(client, body, signed(body)).json()["data"]["user_enabled"] is False
    body = json.dumps(
        {"doc": json.loads(frappe_doc("HR-1", company_email="new@example.com", modified="2025-03-03 10:00:00"))}
    ).encode()
    assert hook(client, body, signed(body)).json()["data"]["user_enabled"] is True  # rehired
    body = frappe_doc("HR-3", user_id="old@example.com")
    answer = hook(client, body, signed(body))
    assert error(answer) == (409, "user_linked_to_other_employee")
    assert Employee.objects.get(employee="HR-2").modified_in_hr.isoformat() == "2025-03-01T10:00:00+00:00"


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"HTTP_X_FRAPPE_WEBHOOK_SIGNATURE": "bm90IGl0"},
        "wrong secret",
        "other body",
    ],
)
def test_webhook_with_a_missing_or_bad_signature_is_401_and_writes_nothing(client, webhook_secret, headers):
    body = frappe_doc("HR-1", company_email="new@example.com")
    if headers == "wrong secret":
        headers = signed(body, secret="guess")
    elif headers == "other body":
        headers = signed(frappe_doc("HR-2"))
    events = EnrollmentEvent.objects.count()
    answer = hook(client, body, headers)
    assert error(answer) == (401, "not_authenticated")
    assert answer.json()["error"]["message"] == "Missing or invalid X-Frappe-Webhook-Signature header."
    assert not Employee.objects.exists() and not User.objects.exists()
    assert EnrollmentEvent.objects.count() == events


def test_webhook_refuses_everything_while_no_secret_is_configured(client, settings):
    settings.HR_WEBHOOK_SECRET = ""
    body = frappe_doc("HR-1")
    assert error(hook(client, body, signed(body, secret=""))) == (401, "not_authenticated")
    assert not Employee.objects.exists()


def test_webhook_bad_json_or_fields(client, webhook_secret):
    assert error(hook(client, b"{not json", signed(b"{not json"))) == (400, "bad_request")
    body = frappe_doc("HR-1", date_of_joining="31-02-2025")
    answer = hook(client, body, signed(body))
    assert error(answer) == (422, "validation_error")
    assert answer.json()["error"]["params"]["fields"] == ["date_of_joining"]
    assert not Employee.objects.exists()
