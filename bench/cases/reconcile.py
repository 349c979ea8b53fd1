"""Roster reconciliation: a 50,000-row HR export against a 50,000-member cohort. Half the people
have an Employee record (matched on the HR id), the others are matched on their email, written
in another case, with a `+tag`, or as the user has it; 500 leavers are still enrolled, 500 rows
have no user and 500 users are not enrolled.

References in the same run (what any comparison has to do: read the export's rows and the roster
with one SELECT): A, `csv.reader` and the SELECT on the driver's own cursor; B, `csv.DictReader`
and the same SELECT through the ORM."""

from __future__ import annotations

import csv
import datetime as dt
import io

from django.db import connection
from django.utils import timezone

from bench.harness import measure, repeats, result, scaled
from smoothlms.catalog.services import create_batch
from smoothlms.csvio.employees import reconcile_file
from smoothlms.enrollment.models import BatchEnrollment, EmailStatus, EnrollmentStatus, MemberType
from smoothlms.people.models import Employee, User

PEOPLE = scaled(50_000, minimum=100)
ODD = max(5, PEOPLE // 100)  # leavers still enrolled, rows without a user, users not enrolled


def _email(i: int) -> str:
    return f"person{i}@reconcile.example.com"


def _setup():
    now = timezone.now()
    start = timezone.localdate() + dt.timedelta(days=30)
    batch = create_batch(
        title="Reconcile",
        start_date=start,
        start_time=dt.time(9),
        end_date=start + dt.timedelta(days=5),
        end_time=dt.time(17),
        timezone="Europe/Berlin",
        seat_count=None,
        published=True,
        courses=[],
        actor=None,
    )
    User.objects.bulk_create(
        [User(email=_email(i), password="!", created_at=now) for i in range(PEOPLE + ODD)], batch_size=5000
    )
    users = dict(User.objects.filter(email__endswith="@reconcile.example.com").values_list("email", "pk"))
    BatchEnrollment.objects.bulk_create(
        [
            BatchEnrollment(
                batch=batch,
                member_id=users[_email(i)],
                member_type=MemberType.EXTERNAL,
                source="api",
                confirmation_email_status=EmailStatus.SKIPPED,
                created_at=now,
                updated_at=now,
            )
            for i in range(PEOPLE)
        ],
        batch_size=5000,
    )
    Employee.objects.bulk_create(
        [
            Employee(
                employee=f"E{i:06d}",
                employee_name=f"Person {i}",
                company_email=_email(i),
                user_id=users[_email(i)],
                created_at=now,
            )
            for i in range(0, PEOPLE, 2)
        ],
        batch_size=5000,
    )
    return batch


def _export() -> bytes:
    lines = ["ID,Full Name,Company Email,Personal Email,User ID,Status"]
    for i in range(PEOPLE):
        email = _email(i)
        if i % 3 == 0:
            email = email.upper()
        elif i % 3 == 1:
            email = email.replace("@", "+lms@")
        status = "Left" if i >= PEOPLE - ODD else "Active"
        lines.append(f"E{i:06d},Person {i},{email},,,{status}")
    for i in range(PEOPLE, PEOPLE + ODD):  # users that exist, not enrolled
        lines.append(f"E{i:06d},Person {i},{_email(i)},,,Active")
    for i in range(ODD):  # people with no user
        lines.append(f"N{i:06d},New {i},new{i}@reconcile.example.com,,,Active")
    return ("\n".join(lines) + "\n").encode()


def _raw_read(data: bytes, batch) -> int:
    """A: the export's rows as lists and the roster on the driver's own cursor."""
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))[1:]
    quote = connection.ops.quote_name
    sql = (
        f"SELECT e.member_id, u.email, u.enabled FROM {quote(BatchEnrollment._meta.db_table)} e "
        f"JOIN {quote(User._meta.db_table)} u ON u.id = e.member_id WHERE e.batch_id = %s AND e.status = %s"
    )
    connection.ensure_connection()
    cursor = connection.connection.cursor()
    cursor.execute(
        sql.replace("%s", "?") if connection.vendor == "sqlite" else sql, [batch.pk, EnrollmentStatus.ACTIVE]
    )
    roster = cursor.fetchall()
    assert len(roster) == PEOPLE, len(roster)
    return len(rows)


def _orm_read(data: bytes, batch) -> int:
    """B: the export's rows as dicts and the roster through the ORM."""
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    roster = list(
        BatchEnrollment.objects.filter(batch=batch, status=EnrollmentStatus.ACTIVE).values_list(
            "member_id", "member__email", "member__enabled"
        )
    )
    assert len(roster) == PEOPLE, len(roster)
    return len(rows)


def run(database: str):
    batch = _setup()
    data = _export()
    rows = PEOPLE + 2 * ODD
    report_holder = {}

    def reconcile() -> int:
        report = reconcile_file(batch=batch, data=data, filename="hr.csv")
        report_holder["report"] = report
        return rows

    # Reads only: each run reads the same rows again.
    run_measure = measure([reconcile] * repeats(), memory_fn=reconcile, phase_tables={})
    a = measure([lambda: _raw_read(data, batch)] * repeats(), memory_fn=lambda: _raw_read(data, batch))
    b = measure([lambda: _orm_read(data, batch)] * repeats())
    report = report_holder["report"]
    counts = report.counts()
    found = ", ".join(f"{kind}={count}" for kind, count in counts.items() if count)
    assert (counts["left_but_enrolled"], counts["missing_user"], counts["not_enrolled"]) == (ODD, ODD, ODD), counts
    assert report.matched == PEOPLE - ODD, report.matched
    return [
        result(
            f"reconcile_roster: {rows:,} HR rows vs {PEOPLE:,} members",
            database,
            run_measure,
            a=a,
            b=b,
            check_rows=False,
            notes=[
                f"export: {len(data) / 1024 / 1024:.1f} MB; A's peak {a.peak_mb:.1f} MB",
                f"findings: {len(report.findings)} ({found})",
            ],
        )
    ]
