"""Look-alike addresses on the API: 422 `validation_error` naming the field, 409 `user_exists` for an
address equal to a user's after normalisation (CONTRACT.md section 10)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest

from smoothlms.api.tests.conftest import error_of
from smoothlms.people.models import Employee, User
from smoothlms.people.roles import Role
from smoothlms.people.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LOOK_ALIKES = ["asha@example.com\u200b", "asha@ex\u0430mple.com", "asha@exa\u202emple.com"]


@pytest.mark.parametrize("email", LOOK_ALIKES)
def test_a_look_alike_user_email_is_a_validation_error_on_email(api, system_manager, email):
    UserFactory(email="asha@example.com")
    answer = api(system_manager).post("/users", {"email": email, "full_name": "Not Asha"})
    status, code, _ = error_of(answer)
    assert (status, code) == (422, "validation_error")
    assert answer.json()["error"]["params"]["fields"] == ["email"]
    assert list(User.objects.filter(full_name="Not Asha")) == []


def test_an_address_equal_after_normalisation_is_user_exists(api, system_manager):
    UserFactory(email="asha@example.com")
    answer = api(system_manager).post("/users", {"email": " \uff21SHA@Example.com"})
    assert error_of(answer) == (409, "user_exists", "A user with email asha@example.com already exists.")


@pytest.mark.parametrize("field", ["user_id", "company_email", "personal_email"])
def test_a_look_alike_in_an_employee_record_names_its_field(api, field):
    hr = UserFactory(roles=[Role.HR_MANAGER])
    answer = api(hr).post(
        "/employees", {"employee": "HR-1", "employee_name": "Asha", "status": "Active", field: "asha@ex\u0430mple.com"}
    )
    assert error_of(answer)[:2] == (422, "validation_error")
    assert answer.json()["error"]["params"]["fields"] == [field]
    assert not Employee.objects.exists() and list(User.objects.all()) == [hr]


def test_a_look_alike_in_a_signed_webhook_document_is_refused(client, settings):
    settings.HR_WEBHOOK_SECRET = "webhook-secret-for-tests"
    body = json.dumps(
        {"name": "HR-1", "employee_name": "Asha", "status": "Active", "company_email": "asha@example.com\u200b"}
    ).encode()
    signature = base64.b64encode(hmac.new(b"webhook-secret-for-tests", body, hashlib.sha256).digest()).decode()
    answer = client.post(
        "/api/v1/hr/webhook",
        data=body,
        content_type="application/json",
        headers={"X-Frappe-Webhook-Signature": signature},
    )
    assert error_of(answer)[:2] == (422, "validation_error")
    assert answer.json()["error"]["params"]["fields"] == ["company_email"]
    assert not Employee.objects.exists()
