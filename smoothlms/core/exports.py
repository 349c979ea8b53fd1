"""Audit exports (CONTRACT.md section 3): batch enrollments, course enrollments, training
assignments, certificates, quiz submissions, the audit log and the role audit, as CSV.

Streaming: rows are read in primary-key order, a chunk at a time, by keyset pagination (`WHERE
id > last ORDER BY id LIMIT n`) over `values_list`, so no model instance is built and memory stays
the same at a thousand rows or a million, on every database (MariaDB's client would otherwise load
a whole result set at once). Each line goes through csvio.writer, which defuses cells a spreadsheet
could run as a formula.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils import timezone

from smoothlms.core.errors import Invalid
from smoothlms.csvio.writer import csv_lines

CHUNK = 2000


class UnknownExport(Invalid):
    code = "unknown_export"
    message = "Unknown export {kind}. Exports: {kinds}."


class InvalidExportDate(Invalid):
    code = "invalid_date"
    message = "{option} {value} is not a date (use YYYY-MM-DD)."


class InvalidDateRange(Invalid):
    code = "invalid_date_range"
    message = "--since {since} is after --until {until}."


def iterate_values(queryset: QuerySet, fields: Sequence[str], *, chunk_size: int = CHUNK) -> Iterator[tuple]:
    """`queryset.values_list(*fields)` in primary-key order, `chunk_size` rows per query (keyset
    pagination): constant memory on SQLite, PostgreSQL and MariaDB alike. The primary key is read
    too but not yielded."""
    base = queryset.order_by("pk").values_list("pk", *fields)
    last = None
    while True:
        chunk = list((base if last is None else base.filter(pk__gt=last))[:chunk_size])
        for row in chunk:
            yield row[1:]
        if len(chunk) < chunk_size:
            return
        last = chunk[-1][0]


@dataclass(frozen=True)
class ExportFilters:
    """What an export is narrowed to. Dates are inclusive days in the server's time zone."""

    batch: Any = None  # a catalog.Batch
    member: str = ""  # email
    since: dt.date | None = None
    until: dt.date | None = None
    actor: str = ""  # audit log only: the actor's email
    event_kind: str = ""  # audit log only: an EventType value
    extra: dict[str, Any] = field(default_factory=dict)


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


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min), timezone.get_current_timezone())


def _date_range(queryset: QuerySet, name: str, *, is_date: bool, filters: ExportFilters) -> QuerySet:
    if filters.since:
        queryset = queryset.filter(**{f"{name}__gte": filters.since if is_date else _day_start(filters.since)})
    if filters.until:
        if is_date:
            queryset = queryset.filter(**{f"{name}__lte": filters.until})
        else:  # up to the end of that day: before the next day's start
            queryset = queryset.filter(**{f"{name}__lt": _day_start(filters.until + dt.timedelta(days=1))})
    return queryset


def _in_batch_courses(queryset: QuerySet, batch, *, member: str) -> QuerySet:
    """Rows of the cohort's members (any enrollment status: history counts) in the cohort's courses."""
    from smoothlms.catalog.models import BatchCourse
    from smoothlms.enrollment.models import BatchEnrollment

    return queryset.filter(
        Exists(BatchEnrollment.objects.filter(batch=batch, member_id=OuterRef(f"{member}_id"))),
        Exists(BatchCourse.objects.filter(batch=batch, course_id=OuterRef("course_id"))),
    )


def _when(value: Any) -> Any:
    """Instants as ISO 8601 with their offset (UTC), to the second."""
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="seconds")
    return value


def _json(value: Any) -> str:
    return "" if value is None else json.dumps(value, sort_keys=True, default=str)


@dataclass(frozen=True)
class ExportKind:
    name: str
    header: tuple[str, ...]
    rows: Callable[[ExportFilters], Iterator[Sequence[Any]]]
    permission: str  # the desk permission needed to download it
    date_field: str  # what --since/--until filter on


# The columns of the desk's enrollment list download (csvio.enrollments.EXPORT_HEADER), so a file
# from the command line and one from the desk line up.
BATCH_ENROLLMENT_HEADER = ("name", "batch", "batch_title", "member", "member_name", "member_type", "status", "source",
                           "confirmation_email_status", "confirmation_email_sent", "override_reason", "created_at",
                           "cancelled_at")
BATCH_ENROLLMENT_FIELDS = ("pk", "batch__name", "batch__title", "member__email", "member__full_name", "member_type",
                           "status", "source", "confirmation_email_status", "confirmation_email_sent",
                           "override_reason", "created_at", "cancelled_at")


def _batch_enrollments(filters: ExportFilters) -> Iterator[Sequence[Any]]:
    from smoothlms.enrollment.models import BatchEnrollment

    queryset = BatchEnrollment.objects.all()
    if filters.batch is not None:
        queryset = queryset.filter(batch=filters.batch)
    if filters.member:
        queryset = queryset.filter(member__email=filters.member)
    queryset = _date_range(queryset, "created_at", is_date=False, filters=filters)
    for pk, *rest in iterate_values(queryset, BATCH_ENROLLMENT_FIELDS):
        yield (f"BE-{pk:06d}", *(_when(value) for value in rest))


def _course_enrollments(filters: ExportFilters) -> Iterator[Sequence[Any]]:
    from smoothlms.enrollment.models import CourseEnrollment

    queryset = CourseEnrollment.objects.all()
    if filters.batch is not None:
        queryset = queryset.filter(enrollment_from_batch=filters.batch)
    if filters.member:
        queryset = queryset.filter(member__email=filters.member)
    queryset = _date_range(queryset, "created_at", is_date=False, filters=filters)
    fields = ("member__email", "member__full_name", "course__name", "course__title", "enrollment_from_batch__name",
              "progress", "created_at", "updated_at")
    for row in iterate_values(queryset, fields):
        yield tuple(_when(value) for value in row)


def _training_assignments(filters: ExportFilters) -> Iterator[Sequence[Any]]:
    from smoothlms.training.models import TrainingAssignment

    queryset = TrainingAssignment.objects.all()
    if filters.batch is not None:
        queryset = _in_batch_courses(queryset, filters.batch, member="user")
    if filters.member:
        queryset = queryset.filter(user__email=filters.member)
    queryset = _date_range(queryset, "due_date", is_date=True, filters=filters)
    fields = ("user__email", "user__full_name", "course__name", "course__title", "due_date", "status",
              "completed_at", "assigned_by_rule", "assigned_by__email", "created_at")
    for row in iterate_values(queryset, fields):
        yield tuple(_when(value) for value in row)


def _certificates(filters: ExportFilters) -> Iterator[Sequence[Any]]:
    from smoothlms.training.models import Certificate

    queryset = Certificate.objects.all()
    if filters.batch is not None:
        queryset = queryset.filter(batch=filters.batch)
    if filters.member:
        queryset = queryset.filter(member__email=filters.member)
    queryset = _date_range(queryset, "issue_date", is_date=True, filters=filters)
    fields = ("name", "member__email", "member__full_name", "course__name", "course__title", "batch__name",
              "issue_date", "expiry_date", "created_at")
    for row in iterate_values(queryset, fields):
        yield tuple(_when(value) for value in row)


QUIZ_SUBMISSION_FIELDS = ("pk", "member__email", "member__full_name", "course__name", "quiz_title", "score",
                          "score_out_of", "percentage", "passed", "submitted_at", "attempt")
QUIZ_ANSWER_FIELDS = ("submission_id", "position", "question_text", "answer", "correct_answer", "marks_awarded",
                      "marks")


def _quiz_submissions(filters: ExportFilters) -> Iterator[Sequence[Any]]:
    """Long format: one line per question of each submission (the submission's columns repeated),
    one line with blank question columns for a submission recorded without question-level answers.
    Submissions are read a chunk at a time, then that chunk's answers in one query."""
    from smoothlms.assessments.models import QuizAnswer, QuizSubmission
    from smoothlms.assessments.selectors import list_batch_submissions

    queryset = QuizSubmission.objects.all() if filters.batch is None else list_batch_submissions(batch=filters.batch)
    if filters.member:
        queryset = queryset.filter(member__email=filters.member)
    queryset = _date_range(queryset, "submitted_at", is_date=False, filters=filters)
    chunk: list[tuple] = []
    for row in iterate_values(queryset, QUIZ_SUBMISSION_FIELDS):
        chunk.append(row)
        if len(chunk) == CHUNK:
            yield from _quiz_submission_lines(chunk, QuizAnswer)
            chunk = []
    yield from _quiz_submission_lines(chunk, QuizAnswer)


def _quiz_submission_lines(chunk: list[tuple], answer_model) -> Iterator[Sequence[Any]]:
    answers: dict[int, list[tuple]] = {}
    rows = answer_model.objects.filter(submission_id__in=[row[0] for row in chunk]).order_by(
        "submission_id", "position").values_list(*QUIZ_ANSWER_FIELDS)
    for submission_id, *rest in rows:
        answers.setdefault(submission_id, []).append(tuple(rest))
    for pk, *rest in chunk:
        *columns, attempt = rest
        submission = (*(_when(value) for value in columns), f"QS-{pk:06d}", attempt)
        for answer in answers.get(pk) or [("", "", "", "", "", "")]:
            yield (*submission, *answer)


def audit_log_queryset(filters: ExportFilters) -> QuerySet:
    """EnrollmentEvent rows narrowed by cohort, member, actor, kind and days (the desk's audit log
    and its download share this)."""
    from smoothlms.core.models import EnrollmentEvent

    queryset = EnrollmentEvent.objects.all()
    if filters.batch is not None:
        queryset = queryset.filter(batch=filters.batch)
    if filters.member:
        queryset = queryset.filter(member__email=filters.member)
    if filters.actor:
        queryset = queryset.filter(actor_email=filters.actor)
    if filters.event_kind:
        queryset = queryset.filter(kind=filters.event_kind)
    return _date_range(queryset, "created_at", is_date=False, filters=filters)


AUDIT_FIELDS = ("created_at", "kind", "actor_email", "member__email", "batch__name", "enrollment_id", "source",
                "reason", "before", "after", "remote_addr")


def _audit_log(filters: ExportFilters) -> Iterator[Sequence[Any]]:
    for created_at, kind, actor, member, batch, enrollment_id, source, reason, before, after, addr in iterate_values(
            audit_log_queryset(filters), AUDIT_FIELDS):
        yield (_when(created_at), kind, actor, member, batch, f"BE-{enrollment_id:06d}" if enrollment_id else "",
               source, reason, _json(before), _json(after), addr)


AUDITED_ROLES = ("System Manager", "Moderator", "Course Creator")


def role_audit_queryset() -> QuerySet:
    """Users holding a role that can change what others see (System Manager, Moderator, Course
    Creator), or superusers, with their last sign-in, where it came from and when their roles last
    changed. Roles are prefetched: two queries in all."""
    from django.contrib.auth.models import Group

    from smoothlms.core.models import EnrollmentEvent, EventType
    from smoothlms.people.models import User

    logins = EnrollmentEvent.objects.filter(kind=EventType.LOGIN, member_id=OuterRef("pk")).order_by(
        "-created_at", "-id")
    return (User.objects.filter(Q(groups__name__in=AUDITED_ROLES) | Q(is_superuser=True)).distinct()
            .annotate(last_login_from=Subquery(logins.values("remote_addr")[:1]),
                      roles_changed_at=Subquery(
                          EnrollmentEvent.objects.filter(kind=EventType.ROLES_CHANGED, member_id=OuterRef("pk"))
                          .order_by("-created_at", "-id").values("created_at")[:1]))
            .prefetch_related(Prefetch("groups", queryset=Group.objects.order_by("name")))
            .order_by(F("last_login").asc(nulls_first=True), "email"))


ROLE_AUDIT_HEADER = ("email", "full_name", "enabled", "roles", "last_login", "last_login_from",
                     "roles_changed_at", "created_at")


def role_audit_rows(queryset: QuerySet | None = None) -> Iterator[Sequence[Any]]:
    for user in (role_audit_queryset() if queryset is None else queryset):
        roles = [group.name for group in user.groups.all()]
        if user.is_superuser and "System Manager" not in roles:
            roles.append("superuser")
        yield (user.email, user.full_name, user.enabled, "; ".join(roles), _when(user.last_login),
               user.last_login_from or "", _when(user.roles_changed_at), _when(user.created_at))


def _role_audit(filters: ExportFilters) -> Iterator[Sequence[Any]]:
    # A few hundred staff at most: read in one go (the roles come with it).
    return role_audit_rows()


EXPORTS: dict[str, ExportKind] = {kind.name: kind for kind in (
    ExportKind("batch-enrollments", BATCH_ENROLLMENT_HEADER, _batch_enrollments, "enrollment.view_batchenrollment",
               "created_at"),
    ExportKind("course-enrollments",
               ("member", "member_name", "course", "course_title", "batch", "progress", "created_at", "updated_at"),
               _course_enrollments, "enrollment.view_courseenrollment", "created_at"),
    ExportKind("training-assignments",
               ("user", "user_name", "course", "course_title", "due_date", "status", "completed_at",
                "assigned_by_rule", "assigned_by", "created_at"),
               _training_assignments, "training.view_trainingassignment", "due_date"),
    ExportKind("certificates",
               ("name", "member", "member_name", "course", "course_title", "batch", "issue_date", "expiry_date",
                "created_at"),
               _certificates, "training.view_certificate", "issue_date"),
    ExportKind("quiz-submissions",
               ("member", "member_name", "course", "quiz", "score", "score_out_of", "percentage", "passed",
                "submitted_at", "submission", "attempt", "question_number", "question", "answer", "correct", "marks",
                "marks_out_of"),
               _quiz_submissions, "assessments.view_quizsubmission", "submitted_at"),
    ExportKind("audit-log",
               ("created_at", "kind", "actor", "member", "batch", "enrollment", "source", "reason", "before", "after",
                "remote_addr"),
               _audit_log, "core.view_enrollmentevent", "created_at"),
    ExportKind("role-audit", ROLE_AUDIT_HEADER, _role_audit, "people.view_user", "-"),
)}


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
