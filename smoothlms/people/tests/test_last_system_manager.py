"""The last enabled System Manager cannot be disabled or lose that role, on every path."""

from __future__ import annotations

import pytest

from smoothlms.core.models import EnrollmentEvent
from smoothlms.people.errors import LastSystemManager
from smoothlms.people.models import User
from smoothlms.people.roles import Role
from smoothlms.people.services import set_user_enabled, set_user_roles
from smoothlms.people.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _manager(**kwargs) -> User:
    return UserFactory(roles=[Role.SYSTEM_MANAGER], **kwargs)


def test_the_last_system_manager_cannot_be_disabled_and_nothing_changes():
    admin = _manager(email="admin@example.com")
    _manager(email="old@example.com", enabled=False)  # a disabled one does not count
    events = EnrollmentEvent.objects.count()
    with pytest.raises(LastSystemManager) as raised:
        set_user_enabled(user=admin, enabled=False, actor=admin)
    assert raised.value.code == "last_system_manager"
    assert User.objects.get(pk=admin.pk).enabled
    assert EnrollmentEvent.objects.count() == events


def test_the_last_system_manager_cannot_lose_the_role_and_nothing_changes():
    admin = _manager(email="admin@example.com")
    with pytest.raises(LastSystemManager):
        set_user_roles(user=admin, roles=[Role.MODERATOR], actor=admin)
    assert User.objects.get(pk=admin.pk).role_names == {Role.SYSTEM_MANAGER}


def test_a_system_manager_with_another_enabled_one_can_be_disabled_and_lose_the_role():
    admin = _manager(email="admin@example.com")
    other = _manager(email="other@example.com")
    set_user_roles(user=other, roles=[Role.MODERATOR], actor=admin)
    assert User.objects.get(pk=other.pk).role_names == {Role.MODERATOR}
    set_user_roles(user=other, roles=[Role.SYSTEM_MANAGER], actor=admin)
    set_user_enabled(user=other, enabled=False, actor=admin)
    assert not User.objects.get(pk=other.pk).enabled


def test_a_superuser_counts_as_a_system_manager():
    admin = _manager(email="admin@example.com")
    User.objects.create_user("root@example.com", "correct horse battery", superuser=True, actor=None)
    set_user_enabled(user=admin, enabled=False, actor=None)
    assert not User.objects.get(pk=admin.pk).enabled


def test_api_users_patch_answers_409_last_system_manager(client):
    admin = _manager(email="admin@example.com")
    client.force_login(admin)
    response = client.patch("/api/v1/users/admin@example.com", {"enabled": False}, content_type="application/json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "last_system_manager"
    response = client.patch(
        "/api/v1/users/admin@example.com", {"roles": ["Moderator"]}, content_type="application/json"
    )
    assert response.status_code == 409
    assert User.objects.get(pk=admin.pk).enabled
    assert User.objects.get(pk=admin.pk).role_names == {Role.SYSTEM_MANAGER}
