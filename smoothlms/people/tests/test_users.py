"""Users: email is the login in any case; roles default to LMS Student; the database holds the rules."""

import pytest
from django.contrib.auth import authenticate
from django.db import IntegrityError, transaction
from django.utils import timezone

from smoothlms.people.errors import InvalidEmail, UnknownRole, UserExists
from smoothlms.people.models import Employee, EmployeeStatus, User
from smoothlms.people.roles import Role
from smoothlms.people.services import create_user, issue_api_key, set_user_roles
from smoothlms.people.tests.factories import EmployeeFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_new_user_gets_lms_student_role_and_lowercase_email():
    user = create_user(email="  Asha.Rao@Example.COM ", full_name="Asha", actor=None)
    assert user.email == "asha.rao@example.com"
    assert user.role_names == {Role.LMS_STUDENT}
    assert not user.is_staff


def test_explicit_roles_replace_the_default():
    user = create_user(email="mod@example.com", roles=[Role.MODERATOR], actor=None)
    assert user.role_names == {Role.MODERATOR}
    assert user.is_staff


def test_create_user_refuses_same_email_in_other_case():
    create_user(email="dup@example.com", actor=None)
    with pytest.raises(UserExists):
        create_user(email="DUP@example.com", actor=None)
    assert User.objects.filter(email="dup@example.com").count() == 1


def test_create_user_refuses_bad_email_and_unknown_role():
    with pytest.raises(InvalidEmail):
        create_user(email="not-an-email", actor=None)
    with pytest.raises(UnknownRole):
        create_user(email="x@example.com", roles=["Wizard"], actor=None)
    assert not User.objects.exists()


def test_database_refuses_the_same_email_in_another_case():
    # PostgreSQL and SQLite: a check keeps emails lower-case under a plain unique index.
    # MariaDB: the column's case-insensitive collation makes the unique index ignore case.
    UserFactory(email="a@example.com")
    for spelling in ["a@example.com", "A@Example.com"]:
        with pytest.raises(IntegrityError), transaction.atomic():
            User.objects.bulk_create([User(email=spelling, password="!")])


def test_the_database_keeps_each_users_email_domain_on_every_write():
    """User.email_domain: the text after the address's last "@" (all of it without one), written
    by the database itself, for a user saved, bulk-inserted (core.bulk), or whose email changes."""
    from smoothlms.core.bulk import insert_rows

    saved = UserFactory(email="asha@corp.example.com")
    rows = [{"email": '"a@b"@quoted.example.org'}, {"email": "no-at-sign"}]
    insert_rows(User, rows, fixed={"password": "!", "updated_at": timezone.now()})
    User.objects.filter(pk=saved.pk).update(email="asha@sub.corp.co.uk")
    domains = dict(User.objects.values_list("email", "email_domain"))
    assert domains == {
        "asha@sub.corp.co.uk": "sub.corp.co.uk",
        '"a@b"@quoted.example.org': "quoted.example.org",
        "no-at-sign": "no-at-sign",
    }
    assert list(User.objects.filter(email_domain="quoted.example.org").values_list("email", flat=True)) == [
        '"a@b"@quoted.example.org'
    ]


def test_sign_in_by_email_in_any_case_and_never_when_disabled(rf):
    UserFactory(email="sign@example.com", password="s3cret-pass!")
    request = rf.post("/login")  # sign-in throttling (django-axes) needs the request
    assert authenticate(request, username="SIGN@example.com ", password="s3cret-pass!") is not None
    assert authenticate(request, username="sign@example.com", password="wrong") is None
    User.objects.filter(email="sign@example.com").update(enabled=False)
    assert authenticate(request, username="sign@example.com", password="s3cret-pass!") is None


def test_api_key_reissue_invalidates_the_old_secret():
    user = UserFactory()
    key1, secret1 = issue_api_key(user=user).split(":")
    key2, secret2 = issue_api_key(user=user).split(":")
    user.refresh_from_db()
    assert user.api_key == key2 and user.check_api_secret(secret2)
    assert not user.check_api_secret(secret1)
    assert secret2 not in user.api_secret_hash


def test_role_change_is_audited():
    from smoothlms.core.models import EnrollmentEvent, EventType

    user = UserFactory()
    set_user_roles(user=user, roles=[Role.MODERATOR], actor=None)
    event = EnrollmentEvent.objects.get(kind=EventType.ROLES_CHANGED)
    assert event.before == {"roles": [Role.LMS_STUDENT]} and event.after == {"roles": [Role.MODERATOR]}


def test_database_allows_one_active_employee_per_user_but_keeps_leavers_linked():
    user = UserFactory()
    EmployeeFactory(user=user, status=EmployeeStatus.LEFT)
    EmployeeFactory(user=user, status=EmployeeStatus.ACTIVE)  # a rehire under a new HR id
    with pytest.raises(IntegrityError), transaction.atomic():
        EmployeeFactory(user=user, status=EmployeeStatus.ACTIVE)
    assert Employee.objects.filter(user=user).count() == 2


def test_database_refuses_duplicate_hr_id():
    EmployeeFactory(employee="HR-1")
    with pytest.raises(IntegrityError), transaction.atomic():
        EmployeeFactory(employee="HR-1")


def test_issuing_an_api_key_is_audited_without_its_secret():
    from smoothlms.core.models import EnrollmentEvent, EventType

    admin = UserFactory(roles=[Role.SYSTEM_MANAGER])
    user = UserFactory()
    first = issue_api_key(user=user, actor=admin)
    second = issue_api_key(user=user, actor=admin)
    events = list(EnrollmentEvent.objects.filter(kind=EventType.API_KEY_ISSUED).order_by("pk"))
    assert [(e.actor, e.member, e.before, e.after) for e in events] == [
        (admin, user, None, {"api_key": first.split(":")[0]}),
        (admin, user, {"api_key": first.split(":")[0]}, {"api_key": second.split(":")[0]}),
    ]
    assert all(token.split(":")[1] not in str(e.after) for e in events for token in (first, second))


def test_the_api_key_command_is_audited_and_an_unknown_user_gets_no_key(capsys):
    from django.core.management import call_command

    from smoothlms.core.models import EnrollmentEvent, EventType

    user = UserFactory(email="ops@example.com")
    call_command("api_key", "ops@example.com")
    key = capsys.readouterr().out.strip().split(":")[0]
    event = EnrollmentEvent.objects.get(kind=EventType.API_KEY_ISSUED)
    assert (event.actor, event.member, event.after) == (None, user, {"api_key": key})
    with pytest.raises(SystemExit):
        call_command("api_key", "nobody@example.com")
    assert EnrollmentEvent.objects.filter(kind=EventType.API_KEY_ISSUED).count() == 1
