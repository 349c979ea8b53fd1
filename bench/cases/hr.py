"""HR at scale: `import_employees` of a 50,000-row HR export (50,000 new users with the LMS Student
role, linked Employee records), and `assign_mandatory_training` of 2 courses to those 50,000
employees (100,000 assignments). Floors, in the same run: plain bulk INSERTs of the same rows with
no checks (users, role links and employees; assignments)."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

from django.utils import timezone

from bench.harness import measure, result

EMPLOYEES = 50_000
DEPARTMENTS = ["Engineering", "Sales", "Support", "Finance", "Operations"]


def _export(prefix: str) -> Path:
    lines = ["ID,Full Name,Company Email,Status,Date of Joining,Employment Type,Department,Designation"]
    for i in range(EMPLOYEES):
        lines.append(f"{prefix}-{i:06d},Person {i},{prefix}.{i}@hr.example.com,Active,2024-01-15,Full-time,"
                     f"{DEPARTMENTS[i % len(DEPARTMENTS)]},Analyst")
    path = Path(tempfile.mkstemp(suffix=".csv")[1])
    path.write_text("\n".join(lines) + "\n")
    return path


def _import(path: Path) -> int:
    from smoothlms.csvio.employees import read_employee_file
    from smoothlms.hr.records import parse_record
    from smoothlms.hr.services import provision_employees

    records = [parse_record(source.data, row=source.row) for source in read_employee_file(path)]
    report = provision_employees(records=records, actor=None, source="import", invite=False)
    assert report.counts["create"] == EMPLOYEES, report.counts
    return EMPLOYEES


def _floor_people(prefix: str) -> int:
    from django.db import transaction

    now = timezone.now()
    with transaction.atomic():
        _insert_people(prefix, now)
    return EMPLOYEES


def _insert_people(prefix: str, now) -> None:
    from django.contrib.auth.models import Group

    from smoothlms.core.bulk import insert_rows
    from smoothlms.people.models import Employee, User

    insert_rows(User, [{"email": f"{prefix}.{i}@hr.example.com", "full_name": f"Person {i}", "password": "!",
                        "created_at": now, "updated_at": now} for i in range(EMPLOYEES)], batch_size=5000)
    ids = dict(User.objects.filter(email__startswith=f"{prefix}.").values_list("email", "pk"))
    student = Group.objects.get(name="LMS Student")
    insert_rows(User.groups.through, [{"user_id": pk, "group_id": student.pk} for pk in ids.values()],
                batch_size=5000)
    # Inactive: the floor's people must not count as active employees in the assignment case.
    insert_rows(Employee, [{"employee": f"{prefix}-{i:06d}", "employee_name": f"Person {i}",
                            "company_email": f"{prefix}.{i}@hr.example.com", "status": "Inactive",
                            "user_id": ids[f"{prefix}.{i}@hr.example.com"], "created_at": now, "updated_at": now}
                           for i in range(EMPLOYEES)], batch_size=5000)


def run(database: str):
    from django.db import transaction

    from smoothlms.catalog.services import create_course
    from smoothlms.core.bulk import insert_rows
    from smoothlms.people.models import Employee
    from smoothlms.people.selectors import list_active_employee_user_ids
    from smoothlms.training.models import TrainingAssignment
    from smoothlms.training.services import assign_training

    floor = measure(lambda: _floor_people("floor"))
    first, second = _export("hr"), _export("memory")
    try:
        imported = measure(lambda: _import(first), memory_fn=lambda: _import(second))
    finally:
        first.unlink()
        second.unlink()
    rows = [result("import_employees: 50,000-row HR export", database, imported, floor=floor,
                   notes=["floor: bulk INSERTs of 50,000 users, their role links and 50,000 employees"])]

    courses = [create_course(title=f"Mandatory {i}", published=True, actor=None) for i in range(2)]
    memory_courses = [create_course(title=f"Memory mandatory {i}", published=True, actor=None) for i in range(2)]
    floor_courses = [create_course(title=f"Floor mandatory {i}", published=True, actor=None) for i in range(2)]
    due = timezone.localdate() + dt.timedelta(days=30)
    # The employees of the timed import (the memory run's are active too, and are left out).
    hr_ids = set(Employee.objects.filter(employee__startswith="hr-").values_list("user_id", flat=True))

    def floor_assign() -> int:
        now = timezone.now()
        with transaction.atomic():
            insert_rows(TrainingAssignment, [{"user_id": pk, "course_id": c.pk, "due_date": due,
                                              "status": "assigned", "created_at": now, "updated_at": now}
                                             for pk in hr_ids for c in floor_courses], batch_size=5000)
        return len(hr_ids) * 2

    assign_floor = measure(floor_assign)

    def assign(to) -> int:
        ids = [pk for pk in list_active_employee_user_ids() if pk in hr_ids]
        return assign_training(user_ids=ids, courses=to, due_date=due, actor=None,
                               assigned_by_rule="assign_mandatory_training").assigned

    assigned = measure(lambda: assign(courses), memory_fn=lambda: assign(memory_courses))
    assert assigned.rows == 2 * EMPLOYEES, assigned.rows
    rerun = measure(lambda: assign(courses))
    rows.append(result("assign_mandatory_training: 2 courses x 50,000 employees", database, assigned,
                       floor=assign_floor,
                       notes=[f"a re-run (all skipped) took {rerun.seconds:.2f} s",
                              "floor: bulk INSERTs of the same 100,000 assignments"]))
    return rows
