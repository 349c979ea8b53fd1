"""The desk is for staff roles only."""

import pytest

from smoothlms.people.roles import Role
from smoothlms.people.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

DESK_PATHS = ["/app/", "/app/lms-batch", "/app/lms-batch-enrollment", "/app/lms-batch-enrollment/new", "/app/user",
              "/app/lms-training-assignment", "/app/employee"]


@pytest.mark.parametrize("path", DESK_PATHS)
def test_anonymous_users_are_sent_to_login(client, path):
    response = client.get(path, follow=True)
    assert response.redirect_chain and response.redirect_chain[-1][0].startswith("/login")


@pytest.mark.parametrize("path", DESK_PATHS)
def test_students_get_403(client, path):
    client.force_login(UserFactory())
    assert client.get(path, follow=True).status_code == 403


@pytest.mark.parametrize("path", DESK_PATHS)
def test_system_manager_reaches_every_desk_path(client, path):
    client.force_login(UserFactory(roles=[Role.SYSTEM_MANAGER]))
    assert client.get(path, follow=True).status_code == 200


def test_login_page_has_the_contract_fields(client):
    html = client.get("/login").content.decode()
    assert 'name="username"' in html and 'name="password"' in html
