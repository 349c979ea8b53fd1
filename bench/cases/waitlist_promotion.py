"""A cancellation that promotes from a long waitlist: a 1-seat cohort, its seat taken, 100,000
members waiting (BENCH_SCALE scales it, at least 1,000). Timed: the moderator's cancel_enrollment
of the seated member, which in one transaction frees the seat, withdraws the course access, writes
the cancellation email's outbox row and gives the seat to the first in line. Measured again on a
waitlist of 1,000 in the same run: the number of statements is the same whatever the length (the
queue is read with one ordered, limited SELECT on the (batch, status, waitlisted_at) index).

No references A/B: there is no bulk equivalent of "the next one in line"."""

from __future__ import annotations

import datetime as dt
import time

from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bench.harness import measure, result, scaled
from smoothlms.catalog.services import create_batch, create_course
from smoothlms.core.db import chunked
from smoothlms.enrollment.models import BatchEnrollment, EmailStatus, EnrollmentStatus, Source
from smoothlms.enrollment.services import cancel_enrollment, enroll
from smoothlms.people.models import User

WAITING = scaled(100_000, minimum=1_000)
SHORT = 1_000
CHUNK = 5_000


def _cohort(tag: str, course):
    start = timezone.localdate() + dt.timedelta(days=30)
    return create_batch(
        title=f"Waitlist {tag}",
        start_date=start,
        start_time=dt.time(9),
        end_date=start + dt.timedelta(days=5),
        end_time=dt.time(17),
        timezone="Europe/Berlin",
        seat_count=1,
        waitlist_enabled=True,
        published=True,
        allow_self_enrollment=True,
        courses=[course],
        actor=None,
    )


def _fill(batch, tag: str, waiting: int) -> User:
    """The seated member (enrolled through the service) and `waiting` waitlisted members (bulk)."""
    now = timezone.now()
    student = Group.objects.get(name="LMS Student")
    for numbers in chunked(list(range(waiting + 1)), CHUNK):
        User.objects.bulk_create([User(email=f"w{i}@{tag}.example.com", password="!", created_at=now) for i in numbers])
    users = list(User.objects.filter(email__endswith=f"@{tag}.example.com").order_by("pk").values_list("pk", flat=True))
    for ids in chunked(users, CHUNK):
        User.groups.through.objects.bulk_create([User.groups.through(user_id=pk, group_id=student.pk) for pk in ids])
    seated = User.objects.get(pk=users[0])
    enroll(batch=batch, member=seated, actor=None, source=Source.DESK)
    for offset, ids in enumerate(chunked(users[1:], CHUNK)):
        BatchEnrollment.objects.bulk_create(
            [
                BatchEnrollment(
                    batch=batch,
                    member_id=pk,
                    status=EnrollmentStatus.WAITLISTED,
                    source=Source.PORTAL,
                    waitlisted_at=now + dt.timedelta(microseconds=offset * CHUNK + i),
                    confirmation_email_status=EmailStatus.SKIPPED,
                )
                for i, pk in enumerate(ids)
            ]
        )
    return seated


def _cancel(batch, seated) -> tuple[int, float]:
    """(statements, seconds) of the cancellation."""
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        cancel_enrollment(batch=batch, member=seated, actor=None, reason="bench")
        seconds = time.perf_counter() - started
    return len(queries), seconds


def run(database: str):
    course = create_course(title="Waitlist course", published=True, actor=None)
    short, long = _cohort("short", course), _cohort("long", course)
    short_seated = _fill(short, "short", SHORT)
    long_seated = _fill(long, "long", WAITING)
    short_statements, short_seconds = _cancel(short, short_seated)
    counted = {}

    def cancel_long() -> int:
        counted["statements"], _ = _cancel(long, long_seated)
        return 1

    run_measure = measure(cancel_long, phase_tables={})
    first = BatchEnrollment.objects.filter(batch=long, status=EnrollmentStatus.ACTIVE).get()
    assert first.member.email == "w1@long.example.com", first.member.email
    assert BatchEnrollment.objects.filter(batch=long, status=EnrollmentStatus.WAITLISTED).count() == WAITING - 1
    return [
        result(
            f"waitlist promotion: a cancellation promotes from a waitlist of {WAITING:,}",
            database,
            run_measure,
            check_rows=False,
            notes=[
                f"statements: {counted['statements']} with {WAITING:,} waiting, {short_statements} with "
                f"{SHORT:,} waiting (constant: {counted['statements'] == short_statements})",
                f"seconds: {run_measure.seconds:.3f} with {WAITING:,} waiting, {short_seconds:.3f} with {SHORT:,} "
                "waiting; the first in line got the seat",
            ],
        )
    ]
