"""Roster reconciliation: a 50,000-row HR export against a 50,000-member cohort. Half the people
have an Employee record (matched on the HR id), the others are matched on their email, written
in another case, with a `+tag`, or as the user has it; 500 leavers are still enrolled, 500 rows
have no user and 500 users are not enrolled. Floor: reading the export's rows plus one bulk
SELECT of the roster (what any comparison has to do)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from bench.harness import measure, result

PEOPLE = 50_000
ODD = 500  # leavers still enrolled, rows without a user, users not enrolled


def _email(i: int) -> str:
    return f"person{i}@reconcile.example.com"


def _setup():
    from smoothlms.catalog.services import create_batch
    from smoothlms.enrollment.models import BatchEnrollment, EmailStatus, MemberType
    from smoothlms.people.models import Employee, User

    now = timezone.now()
    start = timezone.localdate() + dt.timedelta(days=30)
    batch = create_batch(title="Reconcile", start_date=start, start_time=dt.time(9), end_date=start + dt.timedelta(
        days=5), end_time=dt.time(17), timezone="Europe/Berlin", seat_count=None, published=True, courses=[],
        actor=None)
    User.objects.bulk_create([User(email=_email(i), password="!", created_at=now) for i in range(PEOPLE + ODD)],
                             batch_size=5000)
    users = dict(User.objects.filter(email__endswith="@reconcile.example.com").values_list("email", "pk"))
    BatchEnrollment.objects.bulk_create(
        [BatchEnrollment(batch=batch, member_id=users[_email(i)], member_type=MemberType.EXTERNAL, source="api",
                         confirmation_email_status=EmailStatus.SKIPPED, created_at=now, updated_at=now)
         for i in range(PEOPLE)], batch_size=5000)
    Employee.objects.bulk_create(
        [Employee(employee=f"E{i:06d}", employee_name=f"Person {i}", company_email=_email(i),
                  user_id=users[_email(i)], created_at=now) for i in range(0, PEOPLE, 2)], batch_size=5000)
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


def run(database: str):
    from smoothlms.csvio.employees import HR_EXPORT_COLUMNS, reconcile_file
    from smoothlms.csvio.reader import read_table
    from smoothlms.enrollment.models import BatchEnrollment, EnrollmentStatus

    batch = _setup()
    data = _export()
    rows = PEOPLE + 2 * ODD

    def floor() -> int:
        table = read_table(data, filename="hr.csv", columns=HR_EXPORT_COLUMNS)
        roster = list(BatchEnrollment.objects.filter(batch=batch, status=EnrollmentStatus.ACTIVE).values_list(
            "member_id", "member__email", "member__enabled"))
        assert len(roster) == PEOPLE
        return len(table.rows)

    floor_measure = measure(floor, memory_fn=floor)
    report_holder = {}

    def reconcile() -> int:
        report = reconcile_file(batch=batch, data=data, filename="hr.csv")
        report_holder["report"] = report
        return rows

    run_measure = measure(reconcile, memory_fn=reconcile)
    report = report_holder["report"]
    counts = report.counts()
    found = ", ".join(f"{kind}={count}" for kind, count in counts.items() if count)
    assert (counts["left_but_enrolled"], counts["missing_user"], counts["not_enrolled"]) == (ODD, ODD, ODD), counts
    assert report.matched == PEOPLE - ODD, report.matched
    return [result("reconcile_roster: 51,000 HR rows vs 50,000 members", database, run_measure, floor=floor_measure,
                   notes=[f"floor: read_table of the export plus one SELECT of the roster (peak "
                          f"{floor_measure.peak_mb:.1f} MB)",
                          f"findings: {len(report.findings)} ({found})"])]
