"""Audit exports (CONTRACT.md section 3) as CSV: batch enrollments, course enrollments, training
assignments, certificates, quiz submissions, the audit log and the role audit.

The one streaming registry: each kind's rows come from its app's selectors (read in primary-key
order, a chunk at a time, by keyset pagination: constant memory at a thousand rows or a million,
on every database), narrowed by the filters that kind understands. Each line goes through
csvio.writer, which defuses cells a spreadsheet could run as a formula. The command `smoothlms
export` and the desk's downloads both stream from here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from django.db.models import QuerySet

from smoothlms.assessments.evidence import list_quiz_evidence
from smoothlms.assessments.selectors import list_quiz_submission_export_rows
from smoothlms.core.errors import Invalid
from smoothlms.core.models import EnrollmentEvent
from smoothlms.core.selectors import audit_log_queryset as _audit_log_queryset
from smoothlms.core.selectors import list_audit_log_export_rows
from smoothlms.csvio.writer import csv_lines
from smoothlms.enrollment.selectors import list_batch_enrollment_export_rows, list_course_enrollment_export_rows
from smoothlms.people.selectors import role_audit_rows
from smoothlms.training.compliance import EMPLOYEE_COMPLIANCE_HEADER, employee_compliance_rows
from smoothlms.training.selectors import list_certificate_export_rows, list_training_assignment_export_rows


class UnknownExport(Invalid):
    code = "unknown_export"
    message = "Unknown export {kind}. Exports: {kinds}."


class InvalidExportDate(Invalid):
    code = "invalid_date"
    message = "{option} {value} is not a date (use YYYY-MM-DD)."


class InvalidDateRange(Invalid):
    code = "invalid_date_range"
    message = "--since {since} is after --until {until}."


@dataclass(frozen=True)
class ExportFilters:
    """What an export is narrowed to. Dates are inclusive days in the server's time zone."""

    batch: Any = None  # a catalog.Batch
    member: str = ""  # email
    since: dt.date | None = None
    until: dt.date | None = None
    actor: str = ""  # audit log only: the actor's email
    event_kind: str = ""  # audit log only: an EventType value
    # "within": a QuerySet of the kind's model (a desk list as filtered on its page): only its rows.
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def within(self) -> QuerySet | None:
        return self.extra.get("within")


def parse_day(value: str, *, option: str) -> dt.date | None:
    text = (value or "").strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InvalidExportDate(option=option, value=text) from None


def check_range(since: dt.date | None, until: dt.date | None) -> None:
    if since and until and since > until:
        raise InvalidDateRange(since=since.isoformat(), until=until.isoformat())


def _narrowed(
    selector: Callable[..., Iterator[Sequence[Any]]], *names: str
) -> Callable[[ExportFilters], Iterator[Sequence[Any]]]:
    """The rows of `selector`, given the filters it takes (`names`, as ExportFilters calls them)."""

    def rows(filters: ExportFilters) -> Iterator[Sequence[Any]]:
        return selector(**{name: getattr(filters, name) for name in names})

    return rows


def _employee_compliance_rows(filters: ExportFilters) -> Iterator[Sequence[Any]]:
    """The compliance ledger (narrowed to a member), with the passing quiz submissions as evidence."""
    return employee_compliance_rows(filters, quiz_evidence=list_quiz_evidence)


COHORT_MEMBER_DAYS = ("batch", "member", "since", "until", "within")
AUDIT_LOG_FILTERS = ("batch", "member", "actor", "event_kind", "since", "until")


def audit_log_queryset(filters: ExportFilters) -> QuerySet[EnrollmentEvent]:
    """EnrollmentEvent rows narrowed by cohort, member, actor, kind and days (the desk's audit log
    and its download share this)."""
    return _audit_log_queryset(**{name: getattr(filters, name) for name in AUDIT_LOG_FILTERS})


@dataclass(frozen=True)
class ExportKind:
    name: str
    header: tuple[str, ...]
    rows: Callable[[ExportFilters], Iterator[Sequence[Any]]]
    permission: str  # the desk permission needed to download it
    date_field: str  # what --since/--until filter on


# The columns of the desk's enrollment list download (csvio.enrollments.EXPORT_HEADER), so a file
# from the command line and one from the desk line up.
BATCH_ENROLLMENT_HEADER = (
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
ROLE_AUDIT_HEADER = (
    "email",
    "full_name",
    "enabled",
    "roles",
    "last_login",
    "last_login_from",
    "roles_changed_at",
    "created_at",
)

EXPORTS: dict[str, ExportKind] = {
    kind.name: kind
    for kind in (
        ExportKind(
            "batch-enrollments",
            BATCH_ENROLLMENT_HEADER,
            _narrowed(list_batch_enrollment_export_rows, *COHORT_MEMBER_DAYS),
            "enrollment.view_batchenrollment",
            "created_at",
        ),
        ExportKind(
            "course-enrollments",
            ("member", "member_name", "course", "course_title", "batch", "progress", "created_at", "updated_at"),
            _narrowed(list_course_enrollment_export_rows, *COHORT_MEMBER_DAYS),
            "enrollment.view_courseenrollment",
            "created_at",
        ),
        ExportKind(
            "training-assignments",
            (
                "user",
                "user_name",
                "course",
                "course_title",
                "due_date",
                "status",
                "completed_at",
                "assigned_by_rule",
                "assigned_by",
                "created_at",
            ),
            _narrowed(list_training_assignment_export_rows, *COHORT_MEMBER_DAYS),
            "training.view_trainingassignment",
            "due_date",
        ),
        ExportKind(
            "certificates",
            (
                "name",
                "member",
                "member_name",
                "course",
                "course_title",
                "batch",
                "issue_date",
                "expiry_date",
                "created_at",
            ),
            _narrowed(list_certificate_export_rows, *COHORT_MEMBER_DAYS),
            "training.view_certificate",
            "issue_date",
        ),
        ExportKind(
            "quiz-submissions",
            (
                "member",
                "member_name",
                "course",
                "quiz",
                "score",
                "score_out_of",
                "percentage",
                "passed",
                "submitted_at",
                "submission",
                "attempt",
                "question_number",
                "question",
                "answer",
                "correct",
                "marks",
                "marks_out_of",
            ),
            _narrowed(list_quiz_submission_export_rows, *COHORT_MEMBER_DAYS),
            "assessments.view_quizsubmission",
            "submitted_at",
        ),
        ExportKind(
            "audit-log",
            (
                "created_at",
                "kind",
                "actor",
                "member",
                "batch",
                "enrollment",
                "source",
                "reason",
                "before",
                "after",
                "remote_addr",
            ),
            _narrowed(list_audit_log_export_rows, *AUDIT_LOG_FILTERS),
            "core.view_enrollmentevent",
            "created_at",
        ),
        ExportKind(
            "employee-compliance",
            EMPLOYEE_COMPLIANCE_HEADER,
            _employee_compliance_rows,
            "training.view_trainingassignment",
            "-",
        ),
        # A few hundred staff at most: read in one go (the roles come with it).
        ExportKind("role-audit", ROLE_AUDIT_HEADER, _narrowed(role_audit_rows), "people.view_user", "-"),
    )
}


def get_export(kind: str) -> ExportKind:
    try:
        return EXPORTS[kind]
    except KeyError:
        raise UnknownExport(kind=kind or "(blank)", kinds=", ".join(EXPORTS)) from None


def export_lines(kind: str, filters: ExportFilters | None = None, *, bom: bool = False) -> Iterator[str]:
    """The CSV text of export `kind`, one line at a time (header first), formula-safe."""
    spec = get_export(kind)
    return csv_lines(spec.header, spec.rows(filters or ExportFilters()), bom=bom)


def write_export(kind: str, out: IO[str], filters: ExportFilters | None = None, *, bom: bool = False) -> int:
    """Write export `kind` to `out`; returns the number of data rows written."""
    count = -1
    for line in export_lines(kind, filters, bom=bom):
        out.write(line)
        count += 1
    return count
