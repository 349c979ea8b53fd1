"""`smoothlms import_enrollments FILE [--batch B] [--dry-run] [--no-notify] [--override-start --reason R]
[--format json]` (CONTRACT.md section 3).

Exit 0 when no row failed, 1 when some rows failed (the others are applied), 2 when the file or
the request is unusable (nothing applied)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from smoothlms.catalog.selectors import find_batch
from smoothlms.core.errors import DomainError
from smoothlms.core.management.base import CommandFailed, SmoothCommand
from smoothlms.csvio.enrollments import import_enrollments, read_enrollment_file
from smoothlms.csvio.errors import FileUnusable
from smoothlms.enrollment.models import Source


class Command(SmoothCommand):
    help = "Import LMS Batch Enrollments from a CSV or XLSX file (columns member, batch, optional reason)."

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV (UTF-8) or .xlsx file")
        parser.add_argument("--batch", help="cohort (name or title) for rows that name none")
        parser.add_argument("--dry-run", action="store_true", help="report what would happen; write nothing")
        parser.add_argument("--no-notify", action="store_true", help="do not send confirmation emails")
        parser.add_argument(
            "--override-start",
            action="store_true",
            help="enroll into cohorts that have started (needs --reason or a reason column)",
        )
        parser.add_argument("--reason", default="", help="why the start is overridden")
        parser.add_argument("--format", choices=["text", "json"], default="text")

    def run(self, *args, **options):
        path = Path(options["file"])
        try:
            handle = path.open("rb")
        except OSError as exc:
            raise CommandFailed("file_not_found", f"Cannot read {path}: {exc.strerror or exc}.", 2) from None
        try:
            with handle:  # read as a stream, never whole into memory
                table = read_enrollment_file(handle, filename=path.name)
            batch = find_batch(options["batch"], actor=None) if options["batch"] else None
        except (FileUnusable, DomainError) as err:
            raise CommandFailed(err.code, err.user_message(), 2) from None
        if table.ignored:
            sys.stderr.write(f"warning: ignored columns: {', '.join(table.ignored)}\n")

        console = Console(stderr=True)
        kwargs = dict(
            actor=None,
            batch=batch,
            dry_run=options["dry_run"],
            notify=not options["no_notify"],
            override_start=options["override_start"],
            reason=options["reason"],
            source=Source.IMPORT,
        )
        try:
            if console.is_terminal:
                with Progress(
                    TextColumn("[bold]importing"),
                    BarColumn(),
                    MofNCompleteColumn(),
                    TimeRemainingColumn(),
                    console=console,
                    transient=True,
                ) as bar:
                    task = bar.add_task("rows", total=len(table.rows))
                    report = import_enrollments(table, progress=lambda n: bar.advance(task, n), **kwargs)
            else:
                report = import_enrollments(table, **kwargs)
        except DomainError as err:  # a refusal of the whole import: nothing was applied
            raise CommandFailed(err.code, err.user_message(), 2) from None

        if options["format"] == "json":
            self.stdout.write(json.dumps(report.as_json(), ensure_ascii=False))
        else:
            for row in report.rows:
                if row.status == "failed":
                    self.stdout.write(f"row {row.row}: {row.member or '(blank)'}: {row.code}: {row.message}")
            self.stdout.write(report.summary() + (" (dry run)" if report.dry_run else ""))
        if report.failed:
            raise CommandFailed("rows_failed", f"{report.failed} of {len(report.rows)} rows failed.", 1)
