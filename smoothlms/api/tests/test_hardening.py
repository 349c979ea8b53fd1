"""The API's edges (CONTRACT.md section 10): the webhook's signature and body, and a JSON envelope on
every path under /api/v1 whatever the method and the credentials."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest
from django.test import Client

from smoothlms.api.tests.conftest import error_of
from smoothlms.api.v1.employees import signature_is_valid
from smoothlms.core.models import EnrollmentEvent
from smoothlms.people.models import Employee, User
from smoothlms.people.services import issue_api_key
from smoothlms.people.tests.factories import UserFactory

pytestmark = pytest.mark.django_db
SECRET = "webhook-secret-for-tests"


@pytest.fixture
def webhook_secret(settings):
    settings.HR_WEBHOOK_SECRET = SECRET


def sign(body: bytes) -> str:
    return base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()


def hook(body: bytes, signature: str):
    return Client().post(
        "/api/v1/hr/webhook",
        data=body,
        content_type="application/json",
        headers={"X-Frappe-Webhook-Signature": signature},
    )


DOCUMENT = json.dumps(
    {"name": "HR-1", "employee_name": "Asha", "status": "Active", "company_email": "asha@example.com"}
).encode()


@pytest.mark.parametrize(
    "signature", ["ä" * 44, "\u00e9t\u00e9", "not base64 !!!", "", "=" * 44, base64.b64encode(b"x" * 32).decode()]
)
def test_a_non_ascii_or_malformed_signature_is_refused_and_writes_nothing(webhook_secret, signature):
    assert signature_is_valid(DOCUMENT, signature) is False
    answer = hook(DOCUMENT, signature)
    assert error_of(answer)[:2] == (401, "not_authenticated")
    assert not Employee.objects.exists() and not User.objects.exists() and not EnrollmentEvent.objects.exists()


def test_a_signed_body_nested_too_deep_is_a_bad_request(webhook_secret):
    body = b'{"doc": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    answer = hook(body, sign(body))
    assert error_of(answer) == (400, "bad_request", "The request body is nested too deeply to read.")
    assert not Employee.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("employee_name", "Asha\u0000Rao"),
        ("name", "HR-\u00001"),
        ("department", "\ud800"),
        ("designation", {"nested": ["too"]}),
    ],
)
def test_a_signed_document_with_nul_or_unstorable_text_is_a_validation_error(webhook_secret, field, value):
    body = json.dumps({"name": "HR-1", "employee_name": "Asha", "status": "Active", field: value}).encode()
    answer = hook(body, sign(body))
    assert error_of(answer)[:2] == (422, "validation_error")
    assert answer.json()["error"]["params"]["fields"] == [field]
    assert not Employee.objects.exists()


def test_a_good_signature_still_works(webhook_secret):
    assert hook(DOCUMENT, sign(DOCUMENT) + "\n").status_code == 200  # surrounding space is not part of it
    assert Employee.objects.get().user.email == "asha@example.com"


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "PATCH", "DELETE"])
def test_an_unknown_path_is_404_json_with_a_token_and_no_csrf_token(method):
    user = UserFactory()
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)  # the session cookie is sent too, as a browser would
    answer = client.generic(
        method,
        "/api/v1/no/such/thing",
        data="{}",
        content_type="application/json",
        headers={"Authorization": f"token {issue_api_key(user=user)}"},
    )
    assert error_of(answer) == (404, "not_found", "No API endpoint at /api/v1/no/such/thing.")


def test_a_cookie_only_post_without_csrf_anywhere_under_the_api_answers_json():
    client = Client(enforce_csrf_checks=True)
    client.force_login(UserFactory())
    assert error_of(client.post("/api/v1/nowhere"))[:2] == (404, "not_found")
    status, code, message = error_of(client.post("/api/v1/docs/assets/swagger-ui.css"))
    assert (status, code) == (403, "permission_denied") and message.startswith("CSRF check failed")


def test_a_csrf_failure_outside_the_api_is_still_djangos_page():
    client = Client(enforce_csrf_checks=True)
    answer = client.post("/login", {"username": "a@example.com", "password": "x"})
    assert answer.status_code == 403 and answer["Content-Type"].startswith("text/html")
