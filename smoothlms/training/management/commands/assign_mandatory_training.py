"""`smoothlms assign_mandatory_training --course C [--course C]... (--due-date D | --due-in-days N)
[--department D]`: assign courses to every active employee (CONTRACT.md section 3)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from smoothlms.catalog.selectors import get_course
from smoothlms.core.management.base import CommandFailed, SmoothCommand
from smoothlms.core.management.progress import progress_bar
from smoothlms.people.selectors import list_active_employee_user_ids
from smoothlms.training.services import assign_training


class Command(SmoothCommand):
    help = (
        "Assign mandatory courses to every active employee (status Active with an enabled user), optionally "
        "of one department. Employees who already have an open assignment of a course are skipped, so "
        "running it again assigns nothing. Ends with assigned=N skipped=N."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--course", action="append", dest="courses", required=True, metavar="COURSE", help="course name; repeatable"
        )
        due = parser.add_mutually_exclusive_group(required=True)
        due.add_argument("--due-date", metavar="YYYY-MM-DD")
        due.add_argument("--due-in-days", type=int, metavar="N")
        parser.add_argument("--department", default=None)

    def run(self, *, courses, due_date, due_in_days, department, **options):
        if due_date:
            try:
                due = dt.date.fromisoformat(due_date)
            except ValueError:
                raise CommandFailed("invalid_date", f"--due-date {due_date} is not a date (use YYYY-MM-DD).") from None
        else:
            if due_in_days < 0:
                raise CommandFailed("invalid_date", "--due-in-days must not be negative.")
            due = timezone.localdate() + dt.timedelta(days=due_in_days)
        course_objects = [get_course(name=name.strip()) for name in dict.fromkeys(courses)]
        user_ids = list_active_employee_user_ids(department=department)
        with progress_bar("Assigning training") as advance:
            result = assign_training(
                user_ids=user_ids,
                courses=course_objects,
                due_date=due,
                actor=None,
                assigned_by_rule="assign_mandatory_training",
                progress=lambda done: advance(done, len(user_ids)),
            )
        self.stdout.write(f"assigned={result.assigned} skipped={result.skipped}")
