"""API test fixtures: callers with real API tokens (issued as `smoothlms api_key` issues them) and
one cohort with courses."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from smoothlms.people.models import User
from smoothlms.people.roles import Role
from smoothlms.people.services import issue_api_key, set_user_enabled
from smoothlms.people.tests.factories import UserFactory

PREFIX = "/api/v1"


class Api:
    """A caller of the API over Django's test client: JSON in, the response out."""

    def __init__(
        self, user: User | None = None, *, authorization: str | None = None, client: Client | None = None
    ) -> None:
        self.user = user
        self.client = client or Client()
        self.headers: dict[str, str] = {}
        if authorization is not None:
            self.headers["Authorization"] = authorization
        elif user is not None:
            self.headers["Authorization"] = f"token {issue_api_key(user=user)}"

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        raw: bytes | str | None = None,
        query: dict | None = None,
        **headers: str,
    ):
        data = raw if raw is not None else ("" if body is None else json.dumps(body))
        if query:
            from urllib.parse import urlencode

            path = f"{path}?{urlencode(query)}"
        return self.client.generic(
            method, PREFIX + path, data=data, content_type="application/json", headers={**self.headers, **headers}
        )

    def get(self, path: str, **query: Any):
        return self.request("GET", path, query=query or None)

    def post(self, path: str, body: Any = None, **kwargs: Any):
        return self.request("POST", path, body, **kwargs)

    def patch(self, path: str, body: Any = None, **kwargs: Any):
        return self.request("PATCH", path, body, **kwargs)

    def delete(self, path: str, **query: Any):
        return self.request("DELETE", path, query=query or None)


def error_of(response) -> tuple[int, str, str]:
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "params"}, body
    return response.status_code, body["error"]["code"], body["error"]["message"]


@pytest.fixture
def api(db):
    """api(user) -> a caller with that user's token; api() -> an anonymous caller."""

    def make(user: User | None = None, **kwargs: Any) -> Api:
        return Api(user, **kwargs)

    return make


@pytest.fixture
def student(db):
    return UserFactory(full_name="Ada Lovelace")


@pytest.fixture
def moderator(db):
    return UserFactory(roles=[Role.MODERATOR])


@pytest.fixture
def system_manager(db):
    return UserFactory(roles=[Role.SYSTEM_MANAGER])


def disabled_caller() -> Api:
    """A caller whose token was valid until the user was disabled."""
    user = UserFactory()
    caller = Api(user)
    set_user_enabled(user=user, enabled=False, actor=None)
    return caller
