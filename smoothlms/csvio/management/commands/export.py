"""`smoothlms export KIND [--batch B] [--member EMAIL] [--since D] [--until D] [-o FILE]` (CONTRACT.md
section 3): CSV of batch-enrollments, course-enrollments, training-assignments, certificates,
quiz-submissions, audit-log (and role-audit), streamed in constant memory, formula-safe.

Dates are inclusive days (YYYY-MM-DD). What they filter: enrollments, course enrollments and the
audit log by when the row was created, training assignments by due date, certificates by issue
date, quiz submissions by submission time. --batch narrows every kind to one cohort (training
assignments and quiz submissions: the cohort's members in the cohort's courses)."""

from __future__ import annotations

import sys
from pathlib import Path

from smoothlms.catalog.selectors import find_batch
from smoothlms.core.management.base import CommandFailed, SmoothCommand
from smoothlms.core.models import EventType
from smoothlms.csvio.exports import EXPORTS, ExportFilters, check_range, get_export, parse_day, write_export
from smoothlms.people.models import normalize_email


class Command(SmoothCommand):
    help = "Export audit evidence as CSV: " + ", ".join(EXPORTS) + "."

    def add_arguments(self, parser):
        parser.add_argument("kind", metavar="KIND", help=", ".join(EXPORTS))
        parser.add_argument("--batch", help="only this cohort (its name, or else its title)")
        parser.add_argument("--member", help="only this user (email)")
        parser.add_argument("--since", help="from this day (YYYY-MM-DD, inclusive)")
        parser.add_argument("--until", help="up to this day (YYYY-MM-DD, inclusive)")
        parser.add_argument("--actor", help="audit-log: only events by this actor (email)")
        parser.add_argument("--event", help="audit-log: only events of this kind (" + ", ".join(EventType.values) + ")")
        parser.add_argument("-o", "--output", help="write to FILE instead of standard output")
        parser.add_argument("--bom", action="store_true", help="start with a UTF-8 byte-order mark (for Excel)")

    def run(self, *args, **options):
        kind = options["kind"].strip()
        get_export(kind)  # unknown_export
        batch = None
        if options["batch"]:
            batch = find_batch(options["batch"], actor=None)  # by name, or else by title; not_found
        since = parse_day(options["since"] or "", option="--since")
        until = parse_day(options["until"] or "", option="--until")
        check_range(since, until)
        event = (options["event"] or "").strip()
        if event and event not in EventType.values:
            raise CommandFailed(
                "validation_error", f"Unknown event kind {event}. Kinds: " + ", ".join(EventType.values) + "."
            )
        filters = ExportFilters(
            batch=batch,
            member=normalize_email(options["member"] or ""),
            since=since,
            until=until,
            actor=normalize_email(options["actor"] or ""),
            event_kind=event,
        )
        if options["output"]:
            path = Path(options["output"])
            try:
                with path.open("w", encoding="utf-8", newline="") as out:
                    count = write_export(kind, out, filters, bom=options["bom"])
            except OSError as exc:
                raise CommandFailed("cannot_write", f"Cannot write {path}: {exc.strerror or exc}.") from None
            sys.stderr.write(f"exported={count} to {path}\n")
        else:
            count = write_export(kind, self.stdout, filters, bom=options["bom"])
            sys.stderr.write(f"exported={count}\n")
