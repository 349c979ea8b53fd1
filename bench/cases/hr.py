"""HR at scale: `import_employees` of a 50,000-row HR export (50,000 new users with the LMS Student
role, linked Employee records, one audit event each), and `assign_mandatory_training` of 2 courses
to those 50,000 employees (100,000 assignments and the audit events of each chunk).

References in the same run (bench/floors.py), writing the same rows: A, the raw driver floor; B,
bulk_create. The import's references run after the assignment case, which so never sees their
(active) employees."""

from __future__ import annotations

import datetime as dt
import secrets
import tempfile
from pathlib import Path

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.contrib.auth.models import Group
from django.utils import timezone

from bench.floors import OrmWriter, RawWriter, Rows, write
from bench.harness import measure, repeats, result, scaled
from smoothlms.catalog.services import create_course
from smoothlms.core.models import EnrollmentEvent
from smoothlms.csvio.employees import read_employee_file
from smoothlms.hr.records import parse_record
from smoothlms.hr.services import provision_employees
from smoothlms.people.models import Employee, User
from smoothlms.people.selectors import list_active_employee_user_ids
from smoothlms.training.models import TrainingAssignment
from smoothlms.training.services import assign_training

EMPLOYEES = scaled(50_000)
DEPARTMENTS = ["Engineering", "Sales", "Support", "Finance", "Operations"]
RULE = "assign_mandatory_training"


def _person(prefix: str, i: int) -> tuple[str, str, str, str]:
    """HR id, name, email, department of the i-th person of an export."""
    return f"{prefix}-{i:06d}", f"Person {i}", f"{prefix}.{i}@hr.example.com", DEPARTMENTS[i % len(DEPARTMENTS)]


def _export(prefix: str) -> Path:
    lines = ["ID,Full Name,Company Email,Status,Date of Joining,Employment Type,Department,Designation"]
    for i in range(EMPLOYEES):
        employee, name, email, department = _person(prefix, i)
        lines.append(f"{employee},{name},{email},Active,2024-01-15,Full-time,{department},Analyst")
    path = Path(tempfile.mkstemp(suffix=".csv")[1])
    path.write_text("\n".join(lines) + "\n")
    return path


def _import(path: Path) -> int:
    records = [parse_record(source.data, row=source.row) for source in read_employee_file(path)]
    report = provision_employees(records=records, actor=None, source="import", invite=False)
    assert report.counts["create"] == EMPLOYEES, report.counts
    return EMPLOYEES


def people_rows(writer, prefix: str) -> int:
    """What an import of new people writes: users, their role links, employees, audit events."""
    now = timezone.now()
    people = [_person(prefix, i) for i in range(EMPLOYEES)]
    user_ids = writer.insert(
        Rows(
            User,
            ("email", "full_name", "password"),
            [(email, name, UNUSABLE_PASSWORD_PREFIX + secrets.token_hex(20)) for _, name, email, _ in people],
            ids=True,
            fixed={"enabled": True, "created_at": now, "updated_at": now},
        )
    )
    student = Group.objects.get(name="LMS Student")
    writer.insert(Rows(User.groups.through, ("user_id",), [(pk,) for pk in user_ids], fixed={"group_id": student.pk}))
    writer.insert(
        Rows(
            Employee,
            ("employee", "employee_name", "company_email", "department", "user_id"),
            [(*person, pk) for person, pk in zip(people, user_ids, strict=True)],
            fixed={
                "status": "Active",
                "date_of_joining": dt.date(2024, 1, 15),
                "employment_type": "Full-time",
                "designation": "Analyst",
                "modified_in_hr": None,
                "synced_at": now,
                "created_at": now,
                "updated_at": now,
            },
        )
    )
    writer.insert(
        Rows(
            EnrollmentEvent,
            ("member_id", "after"),
            [
                (pk, {"email": email, "roles": ["LMS Student"], "enabled": True, "employee": employee})
                for (employee, _, email, _), pk in zip(people, user_ids, strict=True)
            ],
            fixed={
                "created_at": now,
                "kind": "user_created",
                "actor_id": None,
                "actor_email": "",
                "source": "import",
                "reason": "",
                "before": None,
            },
        )
    )
    return EMPLOYEES


def assignment_rows(writer, *, user_ids: list[int], courses, due: dt.date, events: int) -> int:
    """What assigning `courses` to `user_ids` writes: the assignments and `events` audit events
    (one per course and chunk, as the case wrote)."""
    now = timezone.now()
    writer.insert(
        Rows(
            TrainingAssignment,
            ("user_id", "course_id"),
            [(pk, c.pk) for pk in user_ids for c in courses],
            fixed={
                "due_date": due,
                "status": "assigned",
                "assigned_by_rule": RULE,
                "assigned_by_id": None,
                "created_at": now,
                "updated_at": now,
            },
        )
    )
    per_event = -(-len(user_ids) * len(courses) // events) if events else 0
    writer.insert(
        Rows(
            EnrollmentEvent,
            ("after",),
            [
                (
                    {
                        "course": courses[i % len(courses)].name,
                        "due_date": due.isoformat(),
                        "assigned": per_event,
                        "rule": RULE,
                    },
                )
                for i in range(events)
            ],
            fixed={
                "created_at": now,
                "kind": "training_assigned",
                "actor_id": None,
                "actor_email": "",
                "source": "hr_rule",
                "reason": "",
                "before": None,
            },
        )
    )
    return len(user_ids) * len(courses)


WRITES = {
    User._meta.db_table: "writes",
    User.groups.through._meta.db_table: "writes",
    Employee._meta.db_table: "writes",
    TrainingAssignment._meta.db_table: "writes",
    EnrollmentEvent._meta.db_table: "audit",
}


def _import_case():
    # The first export's employees (hr-...) are the ones the assignment case assigns to.
    exports = [_export(prefix) for prefix in ["hr", *[f"again{i}" for i in range(1, repeats())], "memory"]]
    try:
        return measure(
            [lambda p=path: _import(p) for path in exports[:-1]],
            memory_fn=lambda: _import(exports[-1]),
            phase_tables=WRITES,
        )
    finally:
        for path in exports:
            path.unlink()


def _import_result(database: str, imported):
    a, b = (
        measure(
            [lambda w=writer, p=f"floor-{name}{i}": write(w, lambda x: people_rows(x, p)) for i in range(repeats())]
        )
        for writer, name in ((RawWriter, "a"), (OrmWriter, "b"))
    )
    return result(
        f"import_employees: {EMPLOYEES:,}-row HR export",
        database,
        imported,
        a=a,
        b=b,
        notes=[
            f"rows: {EMPLOYEES:,} users, their role links, {EMPLOYEES:,} employees, "
            f"{EMPLOYEES:,} audit events; the timed run includes reading and parsing the file"
        ],
    )


def _courses(prefix: str) -> list:
    return [create_course(title=f"{prefix} mandatory {i}", published=True, actor=None) for i in range(2)]


def _assign_case():
    due = timezone.localdate() + dt.timedelta(days=30)
    # The employees of the first timed import (the other imports' are active too, and are left out).
    hr_ids = set(Employee.objects.filter(employee__startswith="hr-").values_list("user_id", flat=True))

    def assign(to) -> int:
        ids = [pk for pk in list_active_employee_user_ids() if pk in hr_ids]
        return assign_training(user_ids=ids, courses=to, due_date=due, actor=None, assigned_by_rule=RULE).assigned

    runs = [_courses(f"Run {i}") for i in range(repeats())]
    memory_courses = _courses("Memory")
    assigned = measure(
        [lambda c=c: assign(c) for c in runs], memory_fn=lambda: assign(memory_courses), phase_tables=WRITES
    )
    assert assigned.rows == 2 * EMPLOYEES, assigned.rows
    rerun = measure(lambda: assign(runs[0]))
    return assigned, rerun, sorted(hr_ids), due


def _assign_result(database: str, assigned, rerun, user_ids: list[int], due: dt.date):
    events = assigned.written.get(EnrollmentEvent._meta.db_table, 0)
    refs = []
    for writer, name in ((RawWriter, "Floor A"), (OrmWriter, "Floor B")):
        targets = [_courses(f"{name} {i}") for i in range(repeats())]
        refs.append(
            measure(
                [
                    lambda w=writer, c=c: write(
                        w, lambda x: assignment_rows(x, user_ids=user_ids, courses=c, due=due, events=events)
                    )
                    for c in targets
                ]
            )
        )
    return result(
        f"assign_mandatory_training: 2 courses x {EMPLOYEES:,} employees",
        database,
        assigned,
        a=refs[0],
        b=refs[1],
        notes=[
            f"a re-run (all skipped) took {rerun.seconds:.2f} s",
            f"rows: {2 * EMPLOYEES:,} assignments, {events} audit events; the timed run includes "
            "reading the active employees",
        ],
    )


def run(database: str):
    imported = _import_case()
    assigned = _assign_case()
    return [_import_result(database, imported), _assign_result(database, *assigned)]
