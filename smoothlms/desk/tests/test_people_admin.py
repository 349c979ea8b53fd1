"""/app/user goes through the people services: role changes and disabling are audited, nobody is
deleted."""

import pytest
from django.contrib.auth.models import Group

from smoothlms.core.models import EnrollmentEvent, EventType
from smoothlms.enrollment.models import BatchEnrollment, Source
from smoothlms.enrollment.services import enroll
from smoothlms.people.models import User
from smoothlms.people.roles import Role
from smoothlms.people.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(email="sm@example.com", roles=[Role.SYSTEM_MANAGER]))
    return client


def form(user: User, **changes) -> dict:
    data = {
        "full_name": user.full_name,
        "enabled": "on" if user.enabled else "",
        "time_zone": user.time_zone,
        "groups": [g.pk for g in user.groups.all()],
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v not in ("", None)}


def test_role_change_in_the_desk_is_audited(admin_client):
    user = UserFactory(email="learner@example.com")
    moderator = Group.objects.get(name=Role.MODERATOR)
    response = admin_client.post(f"/app/people/user/{user.pk}/change/", form(user, groups=[moderator.pk]))
    assert response.status_code == 302
    assert User.objects.get(pk=user.pk).role_names == {Role.MODERATOR}
    event = EnrollmentEvent.objects.get(kind=EventType.ROLES_CHANGED, member=user)
    assert event.actor.email == "sm@example.com" and event.after == {"roles": [Role.MODERATOR]}


def test_disabling_in_the_desk_is_audited_and_keeps_the_user(admin_client):
    user = UserFactory(email="leaver@example.com")
    data = form(user)
    del data["enabled"]
    assert admin_client.post(f"/app/people/user/{user.pk}/change/", data).status_code == 302
    assert not User.objects.get(pk=user.pk).enabled
    assert EnrollmentEvent.objects.filter(kind=EventType.USER_DISABLED, member=user).count() == 1
    assert admin_client.post(f"/app/people/user/{user.pk}/delete/", {"post": "yes"}).status_code == 403
    assert User.objects.filter(pk=user.pk).exists()


def test_creating_a_user_in_the_desk_defaults_to_lms_student(admin_client):
    response = admin_client.post(
        "/app/people/user/add/", {"email": " New@Example.com ", "full_name": "New", "enabled": "on"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert User.objects.get(email="new@example.com").role_names == {Role.LMS_STUDENT}
    assert EnrollmentEvent.objects.filter(kind=EventType.USER_CREATED, member__email="new@example.com").exists()


def test_disabling_in_the_desk_leaves_the_cohorts_that_have_not_ended(admin_client, batch):
    user = UserFactory(email="leaver2@example.com")
    enroll(batch=batch, member=user, actor=None, source=Source.DESK)
    data = form(user)
    del data["enabled"]
    assert admin_client.post(f"/app/people/user/{user.pk}/change/", data).status_code == 302
    assert BatchEnrollment.objects.get(member=user).status == "cancelled"
    assert EnrollmentEvent.objects.get(kind=EventType.CANCELLED, member=user).reason == "user_disabled"


def test_the_desk_user_form_keeps_the_last_system_manager(admin_client):
    me = User.objects.get(email="sm@example.com")
    data = form(me)
    del data["enabled"]
    answer = admin_client.post(f"/app/people/user/{me.pk}/change/", data, follow=True)
    assert "is the last enabled System Manager" in answer.content.decode()
    assert User.objects.get(pk=me.pk).enabled
    moderator = Group.objects.get(name=Role.MODERATOR)
    answer = admin_client.post(f"/app/people/user/{me.pk}/change/", form(me, groups=[moderator.pk]), follow=True)
    assert "is the last enabled System Manager" in answer.content.decode()
    assert User.objects.get(pk=me.pk).role_names == {Role.SYSTEM_MANAGER}
    assert not EnrollmentEvent.objects.filter(
        member=me, kind__in=[EventType.USER_DISABLED, EventType.ROLES_CHANGED]
    ).exists()
