"""Look-alike addresses on the HR paths (records, file import, desk forms): the one check of
people.services.clean_email refuses them, and nothing changes."""

from __future__ import annotations

import json

import pytest

from smoothlms.csvio.tests.test_import_employees import row, run_import, write_csv
from smoothlms.hr.records import parse_record
from smoothlms.people.errors import InvisibleCharacterInEmail, MixedScriptEmail
from smoothlms.people.models import Employee, User
from smoothlms.people.roles import Role
from smoothlms.people.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_record_with_a_look_alike_address_is_refused():
    with pytest.raises(InvisibleCharacterInEmail):
        parse_record({"employee": "HR-1", "status": "Active", "user_id": "asha@example.com\u200b"})
    with pytest.raises(MixedScriptEmail):
        parse_record({"employee": "HR-1", "status": "Active", "company_email": "asha@ex\u0430mple.com"})
    assert (
        parse_record({"employee": "HR-1", "status": "Active", "company_email": "\uff21sha@Example.com"}).company_email
        == "asha@example.com"
    )


def test_an_hr_import_row_with_a_look_alike_address_fails_and_the_others_apply(tmp_path, capsys):
    path = write_csv(
        tmp_path / "hr.csv", [row("HR-1", company="asha@ex\u0430mple.com"), row("HR-2", company="ben@example.com")]
    )
    code, out, _ = run_import(capsys, path, "--format", "json")
    assert code == 1
    failed = [r for r in json.loads(out)["rows"] if r["code"] == "invalid_email"]
    assert [r["row"] for r in failed] == [2]
    assert list(Employee.objects.values_list("employee", flat=True)) == ["HR-2"]
    assert list(User.objects.values_list("email", flat=True)) == ["ben@example.com"]


@pytest.fixture
def desk(client):
    client.force_login(UserFactory(email="admin@example.com", roles=[Role.SYSTEM_MANAGER]))
    return client


def test_the_desk_employee_form_refuses_a_look_alike_address(desk):
    answer = desk.post(
        "/app/people/employee/add/",
        {
            "employee": "HR-9",
            "employee_name": "Desk Hire",
            "company_email": "asha@example.com\u200b",
            "status": "Active",
        },
    )
    assert answer.status_code == 200
    assert "invisible or control character U+200B" in answer.content.decode()
    assert not Employee.objects.exists() and not User.objects.exclude(email="admin@example.com").exists()


def test_the_desk_user_form_refuses_a_look_alike_and_a_normalised_duplicate(desk):
    UserFactory(email="asha@example.com")
    look_alike = desk.post(
        "/app/people/user/add/", {"email": "asha@ex\u0430mple.com", "full_name": "X", "enabled": "on"}
    )
    assert look_alike.status_code == 200 and "mixes Cyrillic and Latin letters" in look_alike.content.decode()
    duplicate = desk.post(
        "/app/people/user/add/", {"email": "\uff21SHA@example.com", "full_name": "X", "enabled": "on"}
    )
    assert duplicate.status_code == 200
    assert User.objects.count() == 2
