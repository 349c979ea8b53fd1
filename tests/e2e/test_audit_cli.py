"""The command line of roster reconciliation, course access, exports and purging (CONTRACT.md section 3)."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.management import call_command, get_commands

from smoothlms.catalog.models import BatchCourse
from smoothlms.catalog.tests.factories import BatchFactory, CourseFactory
from smoothlms.core.models import EnrollmentEvent, EventType
from smoothlms.csvio.management.commands.export import Command as ExportCommand
from smoothlms.enrollment.models import CourseEnrollment, Source
from smoothlms.enrollment.services import bulk_enroll
from smoothlms.people.models import User
from smoothlms.people.tests.factories import EmployeeFactory, UserFactory

pytestmark = pytest.mark.django_db

EXPORT = (
    "ID,Full Name,Company Email,Status\n"
    "E1,Ann,ann@corp.com,Active\n"
    "E2,Bo,bo@corp.com,Active\n"
    "E3,Cy,=cy@corp.com,Active\n"
)


def fail(capsys, *args) -> tuple[int, str]:
    """Run a command that must fail: its exit status and its stderr."""
    with pytest.raises(SystemExit) as caught:
        call_command(*args)
    return caught.value.code, capsys.readouterr().err


@pytest.fixture
def cohort(tmp_path):
    batch = BatchFactory(name="week-12", seat_count=10)
    for email in ("ann@corp.com", "bo@corp.com", "zed@agency.com"):
        UserFactory(email=email)
    EmployeeFactory(employee="E1", user=User.objects.get(email="ann@corp.com"))
    bulk_enroll(batch=batch, members=["ann@corp.com", "zed@agency.com"], actor=None, source=Source.DESK, notify=False)
    path = tmp_path / "hr.csv"
    path.write_text(EXPORT)
    return batch, path


def test_reconcile_roster_prints_counts_first_then_findings(cohort, capsys):
    _, path = cohort
    call_command("reconcile_roster", "--batch", "week-12", str(path))
    out = capsys.readouterr().out.splitlines()

    assert out[:4] == ["batch:        week-12", "hr_headcount: 3", "enrolled:     2", "matched:      1"]
    assert out[4].startswith("findings:     3 (missing_user=1, not_enrolled=1, enrolled_not_in_hr=1)")
    body = "\n".join(out[6:])
    assert "Create User; link Employee.user_id" in body and "zed@agency.com" in body


def test_reconcile_roster_json_is_the_contract_shape(cohort, capsys):
    batch, path = cohort
    call_command("reconcile_roster", "--batch", batch.title, str(path), "--format", "json")  # a title works too
    data = json.loads(capsys.readouterr().out)

    assert {key: data[key] for key in ("batch", "hr_headcount", "enrolled", "matched")} == {
        "batch": "week-12",
        "hr_headcount": 3,
        "enrolled": 2,
        "matched": 1,
    }
    assert [(f["kind"], f["employee"], f["email"]) for f in data["findings"]] == [
        ("missing_user", "E3", "=cy@corp.com"),
        ("not_enrolled", "E2", "bo@corp.com"),
        ("enrolled_not_in_hr", None, "zed@agency.com"),
    ]
    assert data["findings"][0]["detail"].endswith("Fix: Create User; link Employee.user_id.")


def test_reconcile_roster_csv_defuses_formulas(cohort, capsys):
    _, path = cohort
    call_command("reconcile_roster", "--batch", "week-12", str(path), "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))

    assert [row["kind"] for row in rows] == ["missing_user", "not_enrolled", "enrolled_not_in_hr"]
    assert rows[0]["email"] == "'=cy@corp.com" and rows[0]["fix"] == "Create User; link Employee.user_id"


def test_reconcile_roster_fails_only_when_it_cannot_run(cohort, capsys, tmp_path):
    _, path = cohort
    assert fail(capsys, "reconcile_roster", "--batch", "nope", str(path)) == (
        1,
        "error: not_found: No cohort named nope.\n",
    )
    code, err = fail(capsys, "reconcile_roster", "--batch", "week-12", str(tmp_path / "missing.csv"))
    assert code == 1 and err.startswith("error: file_not_found: Cannot read ")
    bad = tmp_path / "bad.csv"
    bad.write_bytes("ID,Status\nE1,Actif é\n".encode("latin-1"))
    code, err = fail(capsys, "reconcile_roster", "--batch", "week-12", str(bad))
    assert code == 1 and err.startswith("error: file_not_utf8: ")


@pytest.fixture
def course_gap():
    """A cohort that got a second course after its members were enrolled."""
    first, second = CourseFactory(name="first"), CourseFactory(name="second")
    batch = BatchFactory(name="week-13", courses=[first])
    for email in ("a@corp.com", "b@corp.com"):
        UserFactory(email=email)
    bulk_enroll(batch=batch, members=["a@corp.com", "b@corp.com"], actor=None, source=Source.DESK, notify=False)
    BatchCourse.objects.create(batch=batch, course=second, position=1)
    CourseEnrollment.objects.create(member=User.objects.get(email="b@corp.com"), course=second)  # from elsewhere
    return batch, second


def test_check_course_access_lists_then_repairs(course_gap, capsys):
    batch, second = course_gap
    assert fail(capsys, "check_course_access") == (
        1,
        "error: course_access_missing: 1 course enrollment(s) missing; run with --repair to create them.\n",
    )
    with pytest.raises(SystemExit):
        call_command("check_course_access")
    assert capsys.readouterr().out.splitlines() == ["week-13\ta@corp.com\tsecond", "missing=1"]

    call_command("check_course_access", "--batch", "week-13", "--repair")
    assert capsys.readouterr().out.splitlines()[-1] == "missing=1 created=1"
    access = CourseEnrollment.objects.get(member__email="a@corp.com", course=second)
    assert access.enrollment_from_batch == batch
    call_command("check_course_access", "--repair")
    assert capsys.readouterr().out.splitlines() == ["missing=0"]


def test_check_course_access_finds_withdrawn_access_of_active_members_and_restores_it(course_gap, capsys):
    batch, second = course_gap
    call_command("check_course_access", "--repair")
    capsys.readouterr()
    access = CourseEnrollment.objects.get(member__email="a@corp.com", course=second)
    CourseEnrollment.objects.filter(pk=access.pk).update(status="cancelled", progress=40)
    with pytest.raises(SystemExit) as caught:
        call_command("check_course_access", "--batch", "week-13")
    assert caught.value.code == 1
    assert capsys.readouterr().out.splitlines() == ["week-13\ta@corp.com\tsecond", "missing=1"]
    call_command("check_course_access", "--batch", "week-13", "--repair")
    assert capsys.readouterr().out.splitlines()[-1] == "missing=1 created=1"
    access.refresh_from_db()
    assert (access.status, access.progress) == ("active", 40)


def test_check_course_access_ignores_cancelled_members_and_refuses_unknown_cohorts(course_gap, capsys):
    from smoothlms.enrollment.services import cancel_enrollment

    batch, _ = course_gap
    cancel_enrollment(batch=batch, member="a@corp.com", actor=None)
    call_command("check_course_access", "--batch", "week-13")
    assert capsys.readouterr().out.splitlines() == ["missing=0"]
    assert fail(capsys, "check_course_access", "--batch", "nope") == (1, "error: not_found: No cohort named nope.\n")


def export(*args) -> None:
    call_command("export", *args)


def test_smoothlms_export_is_the_audit_export():
    # django-import-export ships an `export` command too: ours must win (INSTALLED_APPS order).
    assert get_commands()["export"] == "smoothlms.csvio"


def test_export_writes_csv_to_a_file_or_stdout(cohort, capsys, tmp_path):
    out = tmp_path / "enrollments.csv"
    export("batch-enrollments", "--batch", "week-12", "-o", str(out))
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert sorted(row["member"] for row in rows) == ["ann@corp.com", "zed@agency.com"]
    assert capsys.readouterr().err == f"exported=2 to {out}\n"

    export("audit-log", "--event", "enrolled", "--since", "2000-01-01")
    captured = capsys.readouterr()
    assert len(list(csv.DictReader(io.StringIO(captured.out)))) == 2 and captured.err == "exported=2\n"


def test_export_refuses_unknown_kinds_dates_and_cohorts(capsys):
    code, err = fail(capsys, ExportCommand(), "salaries")
    assert code == 1 and err.startswith("error: unknown_export: Unknown export salaries. Exports: batch-enrollments,")
    assert fail(capsys, ExportCommand(), "certificates", "--since", "31-12-2025") == (
        1,
        "error: invalid_date: --since 31-12-2025 is not a date (use YYYY-MM-DD).\n",
    )
    assert fail(capsys, ExportCommand(), "certificates", "--since", "2025-02-01", "--until", "2025-01-01") == (
        1,
        "error: invalid_date_range: --since 2025-02-01 is after --until 2025-01-01.\n",
    )
    assert fail(capsys, ExportCommand(), "certificates", "--batch", "nope") == (
        1,
        "error: not_found: No cohort named nope.\n",
    )


def test_purge_user_needs_confirm_then_anonymises(capsys):
    user = UserFactory(email="gone@corp.com", full_name="Gone Person")
    code, err = fail(capsys, "purge_user", "gone@corp.com")
    assert code == 1 and err.startswith(
        "error: confirmation_required: Purging erases the personal data of gone@corp.com for good"
    )
    assert User.objects.get(pk=user.pk).email == "gone@corp.com"

    call_command("purge_user", "Gone@Corp.com", "--confirm", "--reason", "ticket 9")
    user.refresh_from_db()
    assert user.email == f"purged-{user.pk}@invalid" and user.full_name == "" and not user.enabled
    assert EnrollmentEvent.objects.get(kind=EventType.USER_PURGED).reason == "ticket 9"
    assert f"is now purged-{user.pk}@invalid" in capsys.readouterr().out
    assert fail(capsys, "purge_user", "gone@corp.com", "--confirm") == (
        1,
        "error: user_not_found: No user with email gone@corp.com.\n",
    )
