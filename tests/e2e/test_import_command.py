"""`smoothlms import_enrollments` (CONTRACT.md section 3): summary line, dry run, JSON, exit codes 0/1/2."""

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from smoothlms.catalog.tests.factories import BatchFactory
from smoothlms.enrollment.models import BatchEnrollment, EmailStatus, Source
from smoothlms.people.tests.factories import UserFactory


def run(*args) -> tuple[int, str, str]:
    """Exit code, stdout and stderr of the command, run in this process."""
    out, err = io.StringIO(), io.StringIO()
    real_stderr, sys.stderr = sys.stderr, err
    try:
        call_command("import_enrollments", *map(str, args), stdout=out)
        code = 0
    except SystemExit as exit_:
        code = exit_.code
    finally:
        sys.stderr = real_stderr
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def cohort(db):
    return BatchFactory(name="new-hires", title="New Hires", seat_count=10)


@pytest.fixture
def people(db):
    return [UserFactory(email=f"p{i}@example.com") for i in range(3)]


def write(tmp_path: Path, text: str, name: str = "roster.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


@pytest.mark.django_db
def test_import_ends_with_the_summary_and_exits_0(tmp_path, cohort, people):
    path = write(tmp_path, "member,batch\np0@example.com,new-hires\np1@example.com,New Hires\n")
    code, out, err = run(path)
    assert (code, out.splitlines()[-1], err) == (0, "created=2 skipped=0 failed=0", "")
    assert set(BatchEnrollment.objects.values_list("source", flat=True)) == {Source.IMPORT}
    code, out, _ = run(path)
    assert (code, out.splitlines()[-1]) == (0, "created=0 skipped=2 failed=0")


@pytest.mark.django_db
def test_failed_rows_exit_1_and_the_others_are_applied(tmp_path, cohort, people):
    path = write(tmp_path, "member,batch,notes\np0@example.com,new-hires,x\nghost@example.com,new-hires,y\n")
    code, out, err = run(path)
    assert code == 1
    assert out.splitlines() == [
        "row 3: ghost@example.com: user_not_found: No user with email ghost@example.com.",
        "created=1 skipped=0 failed=1",
    ]
    assert err.splitlines() == ["warning: ignored columns: notes", "error: rows_failed: 1 of 2 rows failed."]
    assert BatchEnrollment.objects.filter(member=people[0]).exists()


@pytest.mark.django_db
def test_dry_run_prints_the_counts_then_dry_run_and_writes_nothing(tmp_path, cohort, people):
    path = write(tmp_path, "member,batch\np0@example.com,new-hires\np0@example.com,new-hires\n")
    code, out, _ = run(path, "--dry-run")
    assert (code, out.strip()) == (0, "created=1 skipped=1 failed=0 (dry run)")
    assert not BatchEnrollment.objects.exists()


@pytest.mark.django_db
def test_json_report_is_the_only_output(tmp_path, cohort, people):
    path = write(tmp_path, "member\np0@example.com\nnope@example.com\n")
    code, out, err = run(path, "--batch", "new-hires", "--format", "json")
    assert code == 1
    assert json.loads(out) == {
        "created": 1,
        "skipped": 0,
        "failed": 1,
        "rows": [
            {
                "row": 2,
                "member": "p0@example.com",
                "batch": "new-hires",
                "status": "created",
                "code": "",
                "message": "",
            },
            {
                "row": 3,
                "member": "nope@example.com",
                "batch": "new-hires",
                "status": "failed",
                "code": "user_not_found",
                "message": "No user with email nope@example.com.",
            },
        ],
    }
    assert err == "error: rows_failed: 1 of 2 rows failed.\n"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "text, encoding, args, line",
    [
        (
            "email\np0@example.com\n",
            "utf-8",
            [],
            "error: missing_column: The file has no member column: add a header named member or Member.",
        ),
        (
            "member,batch\nrené@example.com,new-hires\n",
            "latin-1",
            [],
            "error: file_not_utf8: The file is not UTF-8 text",
        ),
        ("member\np0@example.com\n", "utf-8", [], "error: missing_column: The file has no batch column"),
        ("member\np0@example.com\n", "utf-8", ["--batch", "nowhere"], "error: not_found: No cohort named nowhere."),
        (
            "member\np0@example.com\n",
            "utf-8",
            ["--batch", "new-hires", "--override-start"],
            "error: override_reason_required: A reason is required to override the start date.",
        ),
    ],
)
def test_an_unusable_file_or_request_exits_2_and_applies_nothing(tmp_path, cohort, people, text, encoding, args, line):
    code, out, err = run(write(tmp_path, text, encoding=encoding), *args)
    assert code == 2 and out == "" and err.startswith(line) and len(err.splitlines()) == 1
    assert not BatchEnrollment.objects.exists()


@pytest.mark.django_db
def test_a_missing_file_exits_2(tmp_path):
    code, _, err = run(tmp_path / "nope.csv")
    assert code == 2 and err.startswith("error: file_not_found: Cannot read ")


@pytest.mark.django_db
def test_no_notify_and_override_with_reason(tmp_path, people, mailoutbox, django_capture_on_commit_callbacks):
    import datetime as dt

    from django.utils import timezone

    BatchFactory(name="running", start_date=timezone.localdate() - dt.timedelta(days=1))
    path = write(tmp_path, "member,batch\np0@example.com,running\n")
    assert run(path)[1].splitlines()[-1] == "created=0 skipped=0 failed=1"
    with django_capture_on_commit_callbacks(execute=True):
        code, out, _ = run(path, "--override-start", "--reason", "late hire", "--no-notify")
    assert (code, out.splitlines()[-1]) == (0, "created=1 skipped=0 failed=0")
    enrollment = BatchEnrollment.objects.get()
    assert (enrollment.override_reason, enrollment.confirmation_email_status) == ("late hire", EmailStatus.SKIPPED)
    assert mailoutbox == []


def _database_url() -> str:
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    scheme = "postgres" if connection.vendor == "postgresql" else "mysql"
    return f"{scheme}://{s['USER']}:{s['PASSWORD']}@{s['HOST']}:{s['PORT']}/{s['NAME']}"


@pytest.mark.django_db(transaction=True)
def test_the_installed_command_exits_with_the_contract_codes(tmp_path, cohort, people):
    command = Path(sys.executable).with_name("smoothlms")
    env = {**os.environ, "DATABASE_URL": _database_url()}
    good = write(tmp_path, "member,batch\np0@example.com,new-hires\n", "good.csv")
    bad = write(tmp_path, "member,batch\np1@example.com,new-hires\nx@example.com,new-hires\n", "bad.csv")
    unusable = write(tmp_path, "who\n", "unusable.csv")
    results = [
        subprocess.run(
            [str(command), "import_enrollments", str(path), "--no-notify", *extra],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        for path, extra in [(good, ["--dry-run"]), (good, []), (bad, []), (unusable, [])]
    ]
    assert [r.returncode for r in results] == [0, 0, 1, 2]
    assert results[0].stdout.strip() == "created=1 skipped=0 failed=0 (dry run)"
    assert results[1].stdout.strip() == "created=1 skipped=0 failed=0"
    assert results[2].stderr.strip() == "error: rows_failed: 1 of 2 rows failed."
    assert results[3].stderr.startswith("error: missing_column: ") and results[3].stdout == ""
    assert BatchEnrollment.objects.count() == 2


@pytest.mark.django_db
def test_a_30_kb_workbook_wide_to_column_xfd_is_file_unusable_in_under_a_second(tmp_path, cohort, people):
    import time
    import tracemalloc

    from smoothlms.csvio.tests.test_reader_limits import wide_workbook

    path = tmp_path / "roster.xlsx"
    path.write_bytes(wide_workbook(2300))
    assert 25_000 < path.stat().st_size < 35_000
    tracemalloc.start()
    started = time.perf_counter()
    code, out, err = run(path, "--batch", "new-hires")
    seconds = time.perf_counter() - started
    peak_mb = tracemalloc.get_traced_memory()[1] / 1024 / 1024
    tracemalloc.stop()
    assert code == 2 and out == ""
    assert err.startswith("error: file_unusable: The file cannot be imported: its header row is 16,384 columns")
    assert seconds < 1.0 and peak_mb < 200
    assert not BatchEnrollment.objects.exists()


@pytest.mark.django_db
def test_rows_placed_on_the_waitlist_report_waitlisted_and_exit_0(tmp_path, people):
    from smoothlms.catalog.models import Batch

    BatchFactory(name="small", title="Small", seat_count=1, waitlist_enabled=True)
    path = write(tmp_path, "member,batch\np0@example.com,small\np1@example.com,small\np2@example.com,small\n")
    code, out, _ = run(path, "--format", "json")
    rows = json.loads(out)["rows"]
    assert code == 0 and [r["status"] for r in rows] == ["created", "waitlisted", "waitlisted"]
    assert Batch.objects.get(name="small").seats_taken == 1
    assert list(
        BatchEnrollment.objects.filter(status="waitlisted")
        .order_by("waitlisted_at", "pk")
        .values_list("member__email", flat=True)
    ) == ["p1@example.com", "p2@example.com"]
