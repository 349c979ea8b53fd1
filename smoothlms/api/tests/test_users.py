"""Users over the API (System Manager): create, read, change roles or `enabled`."""

import pytest

from smoothlms.api.tests.conftest import error_of
from smoothlms.core.models import EnrollmentEvent, EventType
from smoothlms.people.models import User
from smoothlms.people.roles import Role
from smoothlms.people.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_create_user_normalises_the_email_and_defaults_to_the_student_role(api, system_manager):
    response = api(system_manager).post("/users", {"email": "  Grace.Hopper@Example.COM ", "full_name": "Grace"})
    assert response.status_code == 201
    data = response.json()["data"]
    assert (data["email"], data["full_name"], data["enabled"], data["roles"]) == (
        "grace.hopper@example.com",
        "Grace",
        True,
        ["LMS Student"],
    )
    user = User.objects.get(email="grace.hopper@example.com")
    assert not user.has_usable_password()
    assert EnrollmentEvent.objects.filter(kind=EventType.USER_CREATED, actor=system_manager, member=user).exists()


def test_create_user_with_roles_password_and_disabled(api, system_manager):
    data = (
        api(system_manager)
        .post(
            "/users",
            {
                "email": "mod@example.com",
                "roles": ["Moderator", "LMS Student"],
                "password": "a long pass phrase",
                "enabled": False,
            },
        )
        .json()["data"]
    )
    assert (data["roles"], data["enabled"]) == (["LMS Student", "Moderator"], False)
    assert User.objects.get(email="mod@example.com").check_password("a long pass phrase")


def test_password_keeps_its_spaces(api, system_manager):
    api(system_manager).post("/users", {"email": "spaces@example.com", "password": "  spaced pass phrase "})
    assert User.objects.get(email="spaces@example.com").check_password("  spaced pass phrase ")


def test_create_user_refuses_an_existing_email_in_any_case(api, system_manager, student):
    response = api(system_manager).post("/users", {"email": student.email.upper()})
    assert error_of(response) == (409, "user_exists", f"A user with email {student.email} already exists.")


@pytest.mark.parametrize(
    "body, field",
    [
        ({"email": "not an email"}, "email"),
        ({"email": "x@example.com", "roles": ["Wizard"]}, "roles"),
        ({"email": "x@example.com", "password": "123"}, "password"),
        ({"email": "x@example.com", "password": "password"}, "password"),
        ({"email": "x@example.com", "is_superuser": True}, "is_superuser"),
        ({"full_name": "No Email"}, "email"),
        ({"email": "x@example.com", "full_name": "nul\u0000byte"}, "full_name"),
    ],
)
def test_create_user_refuses_bad_fields_and_writes_nothing(api, system_manager, body, field):
    users = User.objects.count()
    response = api(system_manager).post("/users", body)
    assert error_of(response)[:2] == (422, "validation_error")
    assert response.json()["error"]["params"]["fields"] == [field]
    assert User.objects.count() == users


def test_read_user_by_email_in_any_case(api, system_manager, student):
    data = api(system_manager).get(f"/users/{student.email.upper()}").json()["data"]
    assert list(data) == ["email", "full_name", "enabled", "roles", "created_at"]
    assert (data["email"], data["roles"]) == (student.email, ["LMS Student"])


def test_read_unknown_user(api, system_manager):
    assert error_of(api(system_manager).get("/users/ghost@example.com")) == (
        404,
        "user_not_found",
        "No user with email ghost@example.com.",
    )


def test_change_roles_and_enabled_together(api, system_manager, student):
    response = api(system_manager).patch(f"/users/{student.email}", {"roles": ["Batch Evaluator"], "enabled": False})
    assert response.status_code == 200
    assert (response.json()["data"]["roles"], response.json()["data"]["enabled"]) == (["Batch Evaluator"], False)
    student.refresh_from_db()
    assert not student.enabled and student.role_names == {"Batch Evaluator"}
    kinds = set(EnrollmentEvent.objects.filter(member=student).values_list("kind", flat=True))
    assert {EventType.ROLES_CHANGED, EventType.USER_DISABLED} <= kinds


def test_change_only_enabled_keeps_roles(api, system_manager, student):
    api(system_manager).patch(f"/users/{student.email}", {"enabled": False})
    data = api(system_manager).patch(f"/users/{student.email}", {"enabled": True}).json()["data"]
    assert (data["enabled"], data["roles"]) == (True, ["LMS Student"])


def test_change_refuses_other_fields_and_nulls(api, system_manager, student):
    caller = api(system_manager)
    response = caller.patch(f"/users/{student.email}", {"full_name": "Someone", "enabled": None})
    assert error_of(response)[:2] == (422, "validation_error")
    assert sorted(response.json()["error"]["params"]["fields"]) == ["enabled", "full_name"]
    student.refresh_from_db()
    assert student.enabled


def test_change_unknown_user(api, system_manager):
    assert error_of(api(system_manager).patch("/users/ghost@example.com", {"enabled": False}))[:2] == (
        404,
        "user_not_found",
    )


@pytest.mark.parametrize("role", [Role.MODERATOR, Role.HR_MANAGER, Role.LMS_STUDENT])
def test_only_system_managers_manage_users(api, role, student):
    caller = api(UserFactory(roles=[role]))
    assert error_of(caller.post("/users", {"email": "new@example.com"}))[:2] == (403, "permission_denied")
    assert error_of(caller.get(f"/users/{student.email}"))[:2] == (403, "permission_denied")
    assert error_of(caller.patch(f"/users/{student.email}", {"enabled": False}))[:2] == (403, "permission_denied")
    assert not User.objects.filter(email="new@example.com").exists()
    student.refresh_from_db()
    assert student.enabled
