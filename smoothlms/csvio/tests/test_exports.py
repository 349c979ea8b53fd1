"""Audit exports: formula-safe cells, filters, and constant memory however many rows."""

from __future__ import annotations

import csv
import datetime as dt
import io
import tracemalloc

import pytest
from django.db import connection
from django.utils import timezone

from smoothlms.assessments.services import submit_quiz
from smoothlms.assessments.tests.factories import make_quiz
from smoothlms.catalog.tests.factories import BatchFactory, CourseFactory
from smoothlms.core.audit import record_event
from smoothlms.core.db import iterate_values
from smoothlms.core.models import EnrollmentEvent, EventType
from smoothlms.csvio.exports import (
    EXPORTS,
    ExportFilters,
    InvalidDateRange,
    UnknownExport,
    check_range,
    export_lines,
    get_export,
    write_export,
)
from smoothlms.enrollment.models import Source
from smoothlms.enrollment.services import enroll
from smoothlms.people.selectors import role_audit_rows
from smoothlms.people.services import set_user_roles
from smoothlms.people.tests.factories import EmployeeFactory, UserFactory
from smoothlms.training.models import Certificate, TrainingAssignment

pytestmark = pytest.mark.django_db

ATTACK = "=cmd|' /C calc'!A0"
LONG_REASON = ATTACK + " " + "x" * 250  # about 300 characters a row: the output is far larger than the bound


def rows_of(kind: str, filters: ExportFilters | None = None) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO("".join(export_lines(kind, filters)))))


def test_a_formula_in_a_name_comes_out_as_text():
    course = CourseFactory(title="+SUM(A1:A9)")
    batch = BatchFactory(courses=[course])
    learner = UserFactory(email="x@corp.com", full_name=ATTACK)
    enroll(batch=batch, member=learner, actor=None, source=Source.DESK, notify=False, override_start=False, reason="")
    record_event(EventType.OVERRIDE, batch=batch, member=learner, reason='@HYPERLINK("http://evil")')

    [row] = rows_of("batch-enrollments")
    assert row["member_name"] == "'" + ATTACK
    [row] = rows_of("course-enrollments")
    assert (row["member_name"], row["course_title"]) == ("'" + ATTACK, "'+SUM(A1:A9)")
    reasons = [r["reason"] for r in rows_of("audit-log", ExportFilters(event_kind=EventType.OVERRIDE))]
    assert reasons == ['\'@HYPERLINK("http://evil")']


def test_every_kind_has_its_header_and_rows():
    course = CourseFactory()
    batch = BatchFactory(courses=[course])
    learner = UserFactory(email="a@corp.com")
    EmployeeFactory(user=learner)  # the compliance ledger lists employees with required courses
    enroll(batch=batch, member=learner, actor=None, source=Source.DESK, notify=False)
    today = timezone.localdate()
    TrainingAssignment.objects.create(user=learner, course=course, due_date=today)
    quiz = make_quiz(course=course)
    submit_quiz(quiz=quiz, member=learner, answers=[], actor=learner)
    Certificate.objects.create(name="C-1", member=learner, course=course, batch=batch, issue_date=today)
    set_user_roles(user=UserFactory(email="mod@corp.com"), roles=["Moderator"], actor=None)

    for kind, spec in EXPORTS.items():
        text = "".join(export_lines(kind))
        header, *lines = text.splitlines()
        assert header == ",".join(spec.header), kind
        assert lines, kind
    [mod] = rows_of("role-audit")
    assert (mod["email"], mod["roles"], mod["last_login"]) == ("mod@corp.com", "Moderator", "")
    assert mod["roles_changed_at"]


def test_filters_by_cohort_member_and_days():
    course = CourseFactory()
    first, second = BatchFactory(courses=[course]), BatchFactory(courses=[course])
    a, b = UserFactory(email="a@corp.com"), UserFactory(email="b@corp.com")
    enroll(batch=first, member=a, actor=None, source=Source.DESK, notify=False)
    enroll(batch=second, member=b, actor=None, source=Source.DESK, notify=False)
    today = timezone.localdate()
    for user, due in ((a, today), (b, today + dt.timedelta(days=10))):
        TrainingAssignment.objects.create(user=user, course=course, due_date=due)

    assert [r["member"] for r in rows_of("batch-enrollments", ExportFilters(batch=first))] == ["a@corp.com"]
    assert [r["member"] for r in rows_of("batch-enrollments", ExportFilters(member="b@corp.com"))] == ["b@corp.com"]
    assert [r["user"] for r in rows_of("training-assignments", ExportFilters(batch=second))] == ["b@corp.com"]
    assert [r["user"] for r in rows_of("training-assignments", ExportFilters(since=today + dt.timedelta(days=1)))] == [
        "b@corp.com"
    ]
    assert [r["user"] for r in rows_of("training-assignments", ExportFilters(until=today))] == ["a@corp.com"]
    assert rows_of("batch-enrollments", ExportFilters(until=today - dt.timedelta(days=1))) == []
    assert len(rows_of("batch-enrollments", ExportFilters(since=today, until=today))) == 2


def test_unknown_kind_and_backwards_range_are_refused():
    with pytest.raises(UnknownExport) as caught:
        get_export("passwords")
    assert caught.value.user_message().startswith("Unknown export passwords. Exports: batch-enrollments,")
    with pytest.raises(InvalidDateRange):
        check_range(dt.date(2025, 2, 1), dt.date(2025, 1, 1))


def test_keyset_chunks_lose_no_row_at_their_edges(django_assert_num_queries):
    for i in range(7):
        record_event(EventType.LOGIN, reason=str(i))
    # 3 + 3 + 1 rows; on PostgreSQL one statement, fetched 3 rows at a time from a server-side cursor.
    with django_assert_num_queries(1 if connection.vendor == "postgresql" else 3):
        reasons = [reason for (reason,) in iterate_values(EnrollmentEvent.objects.all(), ("reason",), chunk_size=3)]
    assert reasons == [str(i) for i in range(7)]


def _fill_audit_log(rows: int) -> None:
    """`rows` audit events, fast: 200 through the ORM, then doubled by INSERT ... SELECT."""
    EnrollmentEvent.objects.bulk_create(
        [
            EnrollmentEvent(
                kind=EventType.LOGIN, actor_email=f"user{i}@corp.com", reason=LONG_REASON, remote_addr="10.0.0.1"
            )
            for i in range(200)
        ]
    )
    table = connection.ops.quote_name(EnrollmentEvent._meta.db_table)
    columns = ", ".join(
        connection.ops.quote_name(c)
        for c in ("created_at", "kind", "actor_email", "source", "reason", "before", "after", "remote_addr")
    )
    count = 200
    with connection.cursor() as cursor:
        while count < rows:
            cursor.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {table}")
            count *= 2


class _Sink(io.TextIOBase):
    """Counts what is written and keeps nothing, as a file on disk would."""

    def __init__(self) -> None:
        self.chars = 0
        self.last = ""

    def write(self, text: str) -> int:
        self.chars += len(text)
        self.last = text
        return len(text)


def test_a_large_export_streams_in_constant_memory():
    # ~50,000 rows of ~300 characters: holding the rows, or even just the text, would take well over
    # the bound; few enough rows to stay quick under tracemalloc (which slows Python several times).
    _fill_audit_log(50_000)
    total = EnrollmentEvent.objects.count()
    assert total >= 50_000
    sink = _Sink()
    tracemalloc.start()
    try:
        written = write_export("audit-log", sink)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert written == total
    assert sink.chars > 50_000 * 300  # over 15 MB went through ...
    assert peak < 6 * 1024 * 1024  # ... while Python held about one chunk of rows at a time
    assert f",'{LONG_REASON}," in sink.last.replace('"', "")


def test_role_audit_reads_users_and_roles_in_two_queries(django_assert_num_queries):
    for i in range(6):
        UserFactory(email=f"mod{i}@corp.com", roles=["Moderator", "Course Creator"])
    UserFactory(email="student@corp.com")
    with django_assert_num_queries(2):
        rows = list(role_audit_rows())
    assert sorted(row[0] for row in rows) == [f"mod{i}@corp.com" for i in range(6)]
    assert {row[3] for row in rows} == {"Course Creator; Moderator"}
