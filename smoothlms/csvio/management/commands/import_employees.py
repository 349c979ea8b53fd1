"""`smoothlms import_employees FILE [--dry-run] [--force]`: an HR employee export (CONTRACT.md section 7)."""

from __future__ import annotations

import json

from smoothlms.core.errors import DomainError
from smoothlms.core.management.base import CommandFailed, SmoothCommand
from smoothlms.core.management.progress import progress_bar
from smoothlms.csvio.employees import read_employee_file
from smoothlms.csvio.errors import FileUnusable
from smoothlms.hr.errors import TooManyDisables
from smoothlms.hr.records import EmployeeRecord, parse_record
from smoothlms.hr.services import ERROR, UNCHANGED, RowOutcome, disable_threshold_setting, provision_employees


class Command(SmoothCommand):
    help = (
        "Import a Frappe HRMS Employee export (CSV or XLSX): create, update, re-enable (rehires) and disable "
        "(leavers) users to match it. Exit 0: all rows applied; 1: some rows failed (the others are "
        "applied); 2: the file is unusable or the change is too large (nothing applied)."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true", help="print the plan; write nothing")
        parser.add_argument(
            "--force",
            action="store_true",
            help="apply even when more than 20%% of the enabled employee users would be disabled",
        )
        parser.add_argument("--no-invite", action="store_true", help="do not email set-password links to new users")
        parser.add_argument("--format", choices=["text", "json"], default="text")

    def run(self, *, file, dry_run, force, no_invite, format, **options):
        records, errors = _read(file)
        threshold = None if force else disable_threshold_setting()
        try:
            with progress_bar("Importing employees") as advance:
                report = provision_employees(
                    records=records,
                    errors=errors,
                    actor=None,
                    source="import",
                    dry_run=dry_run,
                    disable_threshold=threshold,
                    invite=not no_invite,
                    progress=advance,
                )
        except TooManyDisables as error:
            raise CommandFailed(error.code, error.user_message(), exit_code=2) from None

        if format == "json":
            counts = report.counts
            self.stdout.write(
                json.dumps(
                    {
                        "created": counts["create"],
                        "updated": counts["update"],
                        "rehired": counts["rehire"],
                        "disabled": counts["disable"],
                        "unchanged": counts["unchanged"],
                        "failed": counts["error"],
                        "dry_run": dry_run,
                        "rows": [row.as_dict() for row in report.rows],
                    }
                )
            )
        else:
            for row in report.rows:
                if row.action == UNCHANGED:
                    continue
                line = f"row {row.row}: {row.employee or '(no id)'}: {row.action}"
                if row.action == ERROR:
                    line += f": {row.code}: {row.message}"
                elif row.message:
                    line += f": {row.message}"
                self.stdout.write(line)
            self.stdout.write(report.summary())
        if report.refused is not None:
            raise CommandFailed(report.refused.code, report.refused.user_message(), exit_code=2)
        if report.failed:
            raise SystemExit(1)


def _read(file: str) -> tuple[list[EmployeeRecord], list[RowOutcome]]:
    """The file's records, and its rows that cannot be read (as errors of the report). Only the
    columns the file has are applied. Raises CommandFailed (exit 2) when the file is unusable."""
    records: list[EmployeeRecord] = []
    errors: list[RowOutcome] = []
    try:
        for source in read_employee_file(file):
            employee = str(source.data.get("employee") or "").strip()
            if source.problem is not None:
                errors.append(
                    RowOutcome(
                        row=source.row,
                        employee=employee,
                        action=ERROR,
                        code=source.problem.code,
                        message=source.problem.message,
                    )
                )
                continue
            try:
                records.append(parse_record(source.data, row=source.row, only_given=True))
            except DomainError as error:
                errors.append(
                    RowOutcome(
                        row=source.row, employee=employee, action=ERROR, code=error.code, message=error.user_message()
                    )
                )
    except FileUnusable as error:  # HRFileUnusable and the shared reader's refusals
        raise CommandFailed(error.code, error.user_message(), exit_code=2) from None
    return records, errors
