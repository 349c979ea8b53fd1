"""`smoothlms reconcile_roster --batch B HR_EXPORT [--format table|json|csv]` (CONTRACT.md sections 3
and 8). Exit 0 whatever it finds; non-zero (with `error: <code>: <message>`) only when it cannot
run: no such cohort, no such file, a file that cannot be read."""

from __future__ import annotations

import json
from pathlib import Path

from smoothlms.catalog.selectors import find_batch
from smoothlms.core.management.base import CommandFailed, SmoothCommand
from smoothlms.csvio.employees import reconcile_file
from smoothlms.csvio.writer import csv_lines
from smoothlms.hr.reconciliation import KINDS, Reconciliation

CSV_HEADER = ("kind", "employee", "email", "detail", "fix")


class Command(SmoothCommand):
    help = "Compare an HR headcount export with a cohort's active enrollments; name each mismatch and its fix."

    def add_arguments(self, parser):
        parser.add_argument("file", metavar="HR_EXPORT", help="HR employee export, CSV (UTF-8) or .xlsx")
        parser.add_argument("--batch", required=True, help="the cohort (its name, or else its title)")
        parser.add_argument("--format", choices=["table", "json", "csv"], default="table")

    def run(self, *args, **options):
        batch = find_batch(options["batch"], actor=None)  # by name, or else by title; not_found
        path = Path(options["file"])
        try:
            handle = path.open("rb")
        except OSError as exc:
            raise CommandFailed("file_not_found", f"Cannot read {path}: {exc.strerror or exc}.") from None
        with handle:  # read as a stream, never whole into memory
            report = reconcile_file(batch=batch, data=handle, filename=path.name)  # FileUnusable: error line, exit 1
        if options["format"] == "json":
            self.stdout.write(json.dumps(report.as_dict(), indent=2, ensure_ascii=False))
        elif options["format"] == "csv":
            rows = ((f.kind, f.employee or "", f.email, f.detail, f.fix) for f in report.findings)
            for line in csv_lines(CSV_HEADER, rows):
                self.stdout.write(line, ending="")
        else:
            self.stdout.write(render_table(report))


def render_table(report: Reconciliation) -> str:
    """Counts first, then one line per finding (kind, employee, email, detail)."""
    counts = report.counts()
    lines = [
        f"batch:        {report.batch}",
        f"hr_headcount: {report.hr_headcount}",
        f"enrolled:     {report.enrolled}",
        f"matched:      {report.matched}",
        f"findings:     {len(report.findings)}"
        + (
            ""
            if not report.findings
            else " (" + ", ".join(f"{kind}={counts[kind]}" for kind in KINDS if counts[kind]) + ")"
        ),
    ]
    if not report.findings:
        return "\n".join([*lines, "", "No mismatches: the roster matches the HR export."])
    rows = [(f.kind, f.employee or "-", f.email or "-", f.detail) for f in report.findings]
    header = ("KIND", "EMPLOYEE", "EMAIL", "DETAIL")
    widths = [max(len(header[i]), *(len(row[i]) for row in rows)) for i in range(3)]
    lines.append("")
    lines.append("  ".join(text.ljust(widths[i]) for i, text in enumerate(header[:3])) + "  " + header[3])
    for row in rows:
        lines.append("  ".join(text.ljust(widths[i]) for i, text in enumerate(row[:3])) + "  " + row[3])
    return "\n".join(lines)
