"""The set-up commands of CONTRACT.md section 3: add_user, api_key."""

import subprocess
import sys

import pytest
from django.core.management import call_command

from smoothlms.core.models import EnrollmentEvent, EventType
from smoothlms.people.errors import InvalidEmail
from smoothlms.people.models import User
from smoothlms.people.roles import Role

pytestmark = pytest.mark.django_db


def test_add_user_defaults_to_lms_student_and_takes_roles(capsys):
    call_command("add_user", "New.Person@Example.com", "--name", "New Person")
    assert User.objects.get(email="new.person@example.com").role_names == {Role.LMS_STUDENT}
    call_command("add_user", "mod@example.com", "--role", "Moderator", "--role", "HR Manager", "--disabled")
    mod = User.objects.get(email="mod@example.com")
    assert mod.role_names == {Role.MODERATOR, Role.HR_MANAGER} and not mod.enabled


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "smoothlms.manage", *args], capture_output=True, text=True, timeout=60)


def test_cli_failure_is_one_line_with_code_and_nonzero_exit():
    result = run_cli("add_user", "not-an-email")
    assert result.returncode != 0
    assert result.stderr.strip() == "error: invalid_email: not-an-email is not a valid email address."


def test_api_key_prints_key_and_secret_only(capsys):
    call_command("add_user", "keys@example.com")
    call_command("api_key", "keys@example.com")
    line = capsys.readouterr().out.strip().splitlines()[-1]
    key, secret = line.split(":")
    assert User.objects.get(email="keys@example.com").check_api_secret(secret)


@pytest.mark.parametrize(
    "variable,value,message",
    [
        (
            "DATABASE_URL",
            "foo://x",
            "error: improperly_configured: DATABASE_URL: unsupported or malformed database URL",
        ),
        ("TIME_ZONE", "Mars/Olympus", "error: improperly_configured: TIME_ZONE: unknown time zone 'Mars/Olympus'"),
        ("EMAIL_URL", "smtp://", "error: improperly_configured: EMAIL_URL: malformed email URL"),
    ],
)
def test_a_bad_setting_stops_start_up_with_one_line_naming_it(variable, value, message):
    import os

    env = {**os.environ, variable: value}
    result = subprocess.run(
        [sys.executable, "-m", "smoothlms.manage", "check"], capture_output=True, text=True, timeout=60, env=env
    )
    assert result.returncode == 2
    assert result.stderr.startswith(message) and len(result.stderr.strip().splitlines()) == 1


def test_createsuperuser_makes_a_system_manager_through_the_one_constructor(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a sturdy passphrase 42")
    call_command("createsuperuser", "--noinput", "--email", "Root@Example.com", "--full_name", "Root")
    root = User.objects.get(email="root@example.com")
    assert (
        root.is_superuser and root.role_names == {Role.SYSTEM_MANAGER} and root.check_password("a sturdy passphrase 42")
    )
    assert EnrollmentEvent.objects.filter(kind=EventType.USER_CREATED, member=root).exists()


def test_the_user_constructor_refuses_a_bad_email_and_makes_nothing():
    with pytest.raises(InvalidEmail):
        User.objects.create_user("not-an-email", "a sturdy passphrase 42")
    assert not User.objects.exists()
