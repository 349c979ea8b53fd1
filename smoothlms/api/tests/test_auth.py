"""Who gets in: `Authorization: token KEY:SECRET`, or the session cookie with X-CSRFToken. Nothing else."""

import pytest
from django.test import Client

from smoothlms.api.tests.conftest import Api, disabled_caller, error_of
from smoothlms.enrollment.models import BatchEnrollment
from smoothlms.people.services import issue_api_key, set_user_enabled
from smoothlms.people.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_token_gets_in(api, student):
    assert api(student).get("/me/enrollments").status_code == 200


def test_token_scheme_is_case_insensitive(student):
    key = issue_api_key(user=student)
    assert Api(authorization=f"Token {key}").get("/me/enrollments").status_code == 200


def test_no_credentials_is_not_authenticated(api):
    response = api().get("/batches")
    assert error_of(response)[:2] == (401, "not_authenticated")
    assert response["WWW-Authenticate"].startswith("Token")


@pytest.mark.parametrize(
    "header",
    [
        "Bearer abc",
        "token",
        "token abc",
        "token :secret",
        "token key:",
        "Basic a2V5OnM=",
        "token abc:def",
        "token a\u00e9b:c",
        "token " + "k" * 40 + ":s",
    ],
)
def test_malformed_or_unknown_credentials_are_not_authenticated(header):
    assert error_of(Api(authorization=header).get("/batches"))[:2] == (401, "not_authenticated")


def test_wrong_secret_is_not_authenticated(student):
    key = issue_api_key(user=student).split(":")[0]
    assert error_of(Api(authorization=f"token {key}:wrong-secret").get("/batches")) == (
        401,
        "not_authenticated",
        "Invalid API key or secret.",
    )


def test_a_new_key_retires_the_old_one(student):
    old = Api(student)
    issue_api_key(user=student)
    assert error_of(old.get("/batches"))[:2] == (401, "not_authenticated")


def test_disabled_users_token_is_not_authenticated(db):
    assert error_of(disabled_caller().get("/batches")) == (401, "not_authenticated", "This user is disabled.")


def test_bad_token_wins_over_a_valid_session(student):
    client = Client()
    client.force_login(student)
    assert error_of(Api(authorization="token nope:nope", client=client).get("/batches"))[:2] == (
        401,
        "not_authenticated",
    )


def test_session_cookie_reads_without_csrf(student):
    client = Client(enforce_csrf_checks=True)
    client.force_login(student)
    assert Api(client=client).get("/batches").status_code == 200


def test_session_cookie_writes_only_with_the_csrf_header(student, batch):
    client = Client(enforce_csrf_checks=True)
    client.force_login(student)
    caller = Api(client=client)
    refused = caller.post(f"/batches/{batch.name}/enroll")
    assert error_of(refused)[:2] == (403, "permission_denied") and "CSRF" in error_of(refused)[2]
    assert not BatchEnrollment.objects.exists()
    client.get("/api/v1/docs")  # a page that sets the csrftoken cookie, as the portal's pages do
    token = client.cookies["csrftoken"].value
    assert caller.post(f"/batches/{batch.name}/enroll", **{"X-CSRFToken": token}).status_code == 201


def test_disabled_users_session_is_not_authenticated(student):
    client = Client()
    client.force_login(student)
    set_user_enabled(user=student, enabled=False, actor=None)
    assert error_of(Api(client=client).get("/batches"))[:2] == (401, "not_authenticated")


def test_docs_and_openapi_need_no_credentials(client):
    assert client.get("/api/v1/openapi.json").status_code == 200
    assert client.get("/api/v1/docs").status_code == 200


def test_another_users_key_with_my_secret_is_refused(student):
    mine = issue_api_key(user=student)
    other_key = issue_api_key(user=UserFactory()).split(":")[0]
    assert error_of(Api(authorization=f"token {other_key}:{mine.split(':')[1]}").get("/batches"))[:2] == (
        401,
        "not_authenticated",
    )
