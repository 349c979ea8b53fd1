"""Import and export of LMS Batch Enrollments (CONTRACT.md sections 3 and 7).

One importer serves the desk (preview, then apply) and `smoothlms import_enrollments`. It checks
each row's syntax here, then hands the members of each cohort to the engine's bulk path
(`bulk_enroll_groups`), which enrolls them a chunk at a time: every rule lives in the engine. A dry
run is the same call with `dry_run=True`: the engine runs the real path in one transaction that it
rolls back, so the preview says what the real run will do and writes nothing.

Rows: `member` (email), `batch` (a cohort's name or title; or one chosen for the whole file),
optional `reason` (the late-join reason of that row when the start is overridden). An HR employee
export is a roster as it is (CONTRACT.md section 7): without a `member` column the member is the
row's `User ID`, else its `Company Email`, else its `Personal Email`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field

from django.db.models import QuerySet
from django.db.models.functions import Lower

from smoothlms.catalog.models import Batch
from smoothlms.catalog.selectors import visible_batches
from smoothlms.core.db import chunked
from smoothlms.csvio.errors import MissingColumn
from smoothlms.csvio.problems import problem_lines, problem_text
from smoothlms.csvio.reader import Column, FileSource, Row, Table, read_table
from smoothlms.enrollment.errors import BatchNotFound, OverrideReasonRequired
from smoothlms.enrollment.models import BatchEnrollment, Source
from smoothlms.enrollment.services import BulkGroup, OutcomeCounts, bulk_enroll_groups
from smoothlms.people.models import User, normalize_email

ENROLLMENT_COLUMNS = (
    Column("member", "Member"),
    Column("batch", "Batch"),
    Column("reason", "Reason"),
    # An HR employee export's email columns, in Frappe's preferred-email order.
    Column("user_id", "User ID"),
    Column("company_email", "Company Email"),
    Column("personal_email", "Personal Email"),
)
MEMBER_COLUMNS = ("member", "user_id", "company_email", "personal_email")
DUPLICATE_ROW = "duplicate_row"
IMPORT_CHUNK = 1000  # rows per chunk of the engine: one transaction, one lock of the cohort


@dataclass(frozen=True)
class RowResult:
    row: int
    member: str
    batch: str
    status: str  # created | waitlisted | skipped | failed
    code: str = ""
    message: str = ""


@dataclass
class ImportReport(OutcomeCounts):
    rows: list[RowResult]
    ignored_columns: list[str] = field(default_factory=list)
    dry_run: bool = False

    def outcomes(self) -> list[RowResult]:
        return self.rows

    def summary(self) -> str:
        # The contract's line, as it is: members placed on a waitlist show as rows with status `waitlisted`.
        return f"created={self.created} skipped={self.skipped} failed={self.failed}"

    def as_json(self) -> dict:
        """The `--format json` document of CONTRACT.md section 3."""
        return {
            "created": self.created,
            "skipped": self.skipped,
            "failed": self.failed,
            "rows": [asdict(row) for row in self.rows],
        }


def failed_row_lines(data: FileSource, *, filename: str, report: ImportReport) -> Iterator[str]:
    """The CSV of `report`'s failed rows: each as the file has it, plus `problem` (code: message)."""
    problems = {r.row: problem_text(r.code, r.message) for r in report.rows if r.status == "failed"}
    table = read_table(data, filename=filename, columns=ENROLLMENT_COLUMNS, keep_cells=True)
    return problem_lines(table, problems)


def read_enrollment_file(data: FileSource, *, filename: str) -> Table:
    """The rows of an enrollment file (bytes, a path or an open binary file); FileUnusable (nothing to
    import) when it cannot be used. Each row's `member` is set from the HR email columns where the
    file has no member column (or the cell is empty)."""
    table = read_table(data, filename=filename, columns=ENROLLMENT_COLUMNS)
    if not any(table.has(name) for name in MEMBER_COLUMNS):
        raise MissingColumn(column="member", names="member or Member", hint="")
    for row in table.rows:
        row.values["member"] = next((row.get(name).strip() for name in MEMBER_COLUMNS if row.get(name).strip()), "")
    if "member" not in table.columns:
        table.columns.append("member")
    return table


def import_enrollments(
    table: Table,
    *,
    actor: User | None,
    batch: Batch | None = None,
    dry_run: bool = False,
    notify: bool = True,
    override_start: bool = False,
    reason: str = "",
    source: Source | str = Source.IMPORT,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Enroll the members of `table`'s rows into their cohorts (or `batch` where a row names none).

    Rules: those of the engine for every member (bulk_enroll); rows already enrolled are skipped,
    so importing the same file again creates nothing and sends nothing. Refusals of the whole import
    (no cohort column and none chosen, an override without any reason, an actor who may not enroll
    others) raise before anything is written. `progress` is called with the number of rows done.
    Side effects: those of bulk_enroll (enrollments, course access, audit events, emails unless
    `notify` is off); none on a dry run."""
    reason = (reason or "").strip()
    if batch is None and not table.has("batch"):
        raise MissingColumn(column="batch", names="batch or Batch", hint=" Or choose one cohort for the whole file.")
    if override_start and not reason and not table.has("reason"):
        raise OverrideReasonRequired()

    results: dict[int, RowResult] = {}
    groups: dict[tuple[int, str], list[Row]] = {}
    batches: dict[int, Batch] = {}
    named = _batches_named({row.get("batch") for row in table.rows if row.get("batch")}, actor=actor)
    seen: set[tuple[int, str]] = set()
    for row in table.rows:
        member = row.get("member")
        cell = row.get("batch")
        if row.problem:
            results[row.number] = RowResult(row.number, member, cell, "failed", row.problem.code, row.problem.message)
            continue
        if not member:
            results[row.number] = RowResult(
                row.number,
                member,
                cell,
                "failed",
                "member_required",
                "The row names no member: fill its member (or User ID or email) cell.",
            )
            continue
        target = named.get(cell) if cell else batch
        if target is None:
            error = BatchNotFound(name=cell) if cell else None
            results[row.number] = RowResult(
                row.number,
                member,
                cell,
                "failed",
                error.code if error else "batch_required",
                error.user_message() if error else "The row names no cohort: fill its batch cell or choose a cohort.",
            )
            continue
        row_reason = (row.get("reason") or reason) if override_start else ""
        if override_start and not row_reason:
            error = OverrideReasonRequired()
            results[row.number] = RowResult(row.number, member, target.name, "failed", error.code, error.user_message())
            continue
        key = (target.pk, normalize_email(member))
        if key in seen:
            results[row.number] = RowResult(
                row.number,
                member,
                target.name,
                "skipped",
                DUPLICATE_ROW,
                "This row repeats an earlier row of the file.",
            )
            continue
        seen.add(key)
        batches[target.pk] = target
        groups.setdefault((target.pk, row_reason), []).append(row)

    done = len(results)
    if progress and done:
        progress(done)
    outcomes = bulk_enroll_groups(
        [
            BulkGroup(batch=batches[batch_pk], members=[row.get("member") for row in rows], reason=row_reason)
            for (batch_pk, row_reason), rows in groups.items()
        ],
        actor=actor,
        source=source,
        override_start=override_start,
        notify=notify,
        dry_run=dry_run,
        chunk_size=IMPORT_CHUNK,
        progress=progress,
    )
    for ((batch_pk, _), rows), outcome in zip(groups.items(), outcomes, strict=True):
        name = batches[batch_pk].name
        for row, result in zip(rows, outcome.results, strict=True):
            results[row.number] = RowResult(row.number, result.member, name, result.status, result.code, result.message)
    return ImportReport(
        rows=[results[number] for number in sorted(results)], ignored_columns=table.ignored, dry_run=dry_run
    )


def _batches_named(values: set[str], *, actor: User | None) -> dict[str, Batch]:
    """{cell text: cohort} for cells naming a cohort by name, or else by a title only one cohort has."""
    found: dict[str, Batch] = {}
    visible = visible_batches(actor)
    for chunk in chunked(sorted(values), 500):
        for batch in visible.filter(name__in=chunk):
            found[batch.name] = batch
        rest = {value.lower(): value for value in chunk if value not in found}
        titled: dict[str, list[Batch]] = {}
        for batch in visible.annotate(lower_title=Lower("title")).filter(lower_title__in=list(rest)):
            titled.setdefault(batch.lower_title, []).append(batch)
        for lower, candidates in titled.items():
            if len(candidates) == 1 and lower in rest:
                found[rest[lower]] = candidates[0]
    return found


# Export ---------------------------------------------------------------------------------------

EXPORT_HEADER = (
    "name",
    "batch",
    "batch_title",
    "member",
    "member_name",
    "member_type",
    "status",
    "source",
    "confirmation_email_status",
    "confirmation_email_sent",
    "override_reason",
    "created_at",
    "cancelled_at",
)
_EXPORT_FIELDS = (
    "pk",
    "batch__name",
    "batch__title",
    "member__email",
    "member__full_name",
    "member_type",
    "status",
    "source",
    "confirmation_email_status",
    "confirmation_email_sent",
    "override_reason",
    "created_at",
    "cancelled_at",
)


def enrollment_export_rows(queryset: QuerySet[BatchEnrollment]) -> Iterator[tuple]:
    """Rows for EXPORT_HEADER, read in chunks straight from the database (no model instances)."""
    for values in queryset.values_list(*_EXPORT_FIELDS).iterator(chunk_size=2000):
        pk, *rest = values
        yield (f"BE-{pk:06d}", *rest)


def result_rows(report: ImportReport) -> Iterable[tuple]:
    return ((r.row, r.member, r.batch, r.status, r.code, r.message) for r in report.rows)


REPORT_HEADER = ("row", "member", "batch", "status", "code", "message")
