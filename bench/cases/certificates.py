"""Certificates at scale.

- Issuing 5,000 certificates with their PDFs through the worker: 5,000 completions each issue a
  certificate in its own transaction (the PDF task is queued in the database backend), then the
  database worker's own loop renders and stores every PDF. Floor, in the same run: rendering the
  same 5,000 PDFs with the PDF library alone (fpdf2, through the same layout code, no database).
- The daily recertification scan over 50,000 certificates: once with expiry dates spread over a
  year (about one in twelve falls in the 30-day window) and once with all 50,000 in the window;
  seconds and the number of queries (constant). Floor: bulk INSERTs of the same assignments.
"""

from __future__ import annotations

import datetime as dt
import time

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bench.harness import measure, result, scaled

# A PDF costs about 50 ms of fpdf2 (its TrueType fonts parsed and subset each time), in the worker
# and in the floor alike: 1,000 of each keep the case to a few minutes per database.
ISSUED = scaled(1_000, minimum=100)  # whole rounds of ROUND
MEMORY_ISSUED = 200
ROUND = 100
CERTIFICATES = 50_000


def _people(prefix: str, count: int) -> list[int]:
    from smoothlms.core.bulk import insert_rows
    from smoothlms.people.models import User

    now = timezone.now()
    insert_rows(
        User,
        [
            {
                "email": f"{prefix}.{i}@bench.example.com",
                "full_name": f"Person {prefix} {i}",
                "password": "!",
                "created_at": now,
                "updated_at": now,
            }
            for i in range(count)
        ],
        batch_size=5000,
    )
    return list(User.objects.filter(email__startswith=f"{prefix}.").order_by("pk").values_list("pk", flat=True))


def _completed_course(title: str, user_ids: list[int]):
    from smoothlms.catalog.services import create_course
    from smoothlms.core.bulk import insert_rows
    from smoothlms.enrollment.models import CourseEnrollment

    course = create_course(title=title, published=True, certificate=True, validity_months=12, actor=None)
    now = timezone.now()
    insert_rows(
        CourseEnrollment,
        [
            {
                "member_id": pk,
                "course_id": course.pk,
                "progress": 100,
                "completed_at": now,
                "created_at": now,
                "updated_at": now,
            }
            for pk in user_ids
        ],
        batch_size=5000,
    )
    return course


def _run_worker() -> None:
    from django_tasks_db.management.commands.db_worker import Worker

    Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="bench",
        excluded_queue_names=[],
    ).run()


def _issue_all(course, user_ids: list[int]) -> int:
    from smoothlms.people.models import User
    from smoothlms.training.models import Certificate
    from smoothlms.training.services import issue_certificate

    for member in User.objects.filter(pk__in=user_ids).order_by("pk").iterator(chunk_size=1000):
        issue_certificate(member=member, course=course, actor=None)
    _run_worker()
    assert Certificate.objects.filter(course=course, member_id__in=user_ids).exclude(pdf="").count() == len(user_ids)
    return len(user_ids)


def _documents(course, user_ids: list[int]) -> list:
    from smoothlms.catalog.models import LMSSettings
    from smoothlms.training.models import Certificate
    from smoothlms.training.rendering import certificate_document

    lms = LMSSettings.load()
    return [
        certificate_document(certificate, lms, logo=None)
        for certificate in Certificate.objects.filter(course=course, member_id__in=user_ids).select_related(
            "member", "course", "batch"
        )
    ]


def _render_alone(documents: list) -> int:
    from smoothlms.training.pdf import render_certificate

    for document in documents:
        render_certificate(document)
    return len(documents)


def _timed(fn) -> tuple[object, float]:
    """`fn`'s Measure (wall clock) and the CPU time this process spent in it."""
    started = time.process_time()
    measured = measure(fn)
    return measured, time.process_time() - started


def _issuing(database: str):
    """The two sides alternate, a round of ROUND certificates each, so that both see the same load
    on a shared machine; their times are summed. The CPU time of this process is summed too: it is
    not inflated by other processes (on SQLite it includes the database's work; on PostgreSQL the
    server's own CPU is not in it)."""
    from bench.harness import Measure

    user_ids = _people("issue", ISSUED)
    memory_ids = _people("issue-memory", MEMORY_ISSUED)
    course = _completed_course("Forklift Safety", user_ids)
    memory_course = _completed_course("Forklift Safety (memory run)", memory_ids)
    run, floor = Measure(0.0, 0, 0.0), Measure(0.0, 0, 0.0)
    cpu_run = cpu_floor = 0.0
    for start in range(0, ISSUED, ROUND):
        ids = user_ids[start : start + ROUND]
        issued, cpu = _timed(lambda ids=ids: _issue_all(course, ids))
        cpu_run += cpu
        documents = _documents(course, ids)
        alone, cpu = _timed(lambda documents=documents: _render_alone(documents))
        cpu_floor += cpu
        run = Measure(run.seconds + issued.seconds, run.rows + issued.rows, 0.0)
        floor = Measure(floor.seconds + alone.seconds, floor.rows + alone.rows, 0.0)
    memory = measure(lambda: 0, memory_fn=lambda: _issue_all(memory_course, memory_ids))
    run = Measure(run.seconds, run.rows, memory.peak_mb)
    return result(
        f"certificates: issue {ISSUED:,} with PDFs through the worker",
        database,
        run,
        a=floor,
        check_rows=False,
        notes=[
            f"A here is the floor: the same {ISSUED:,} PDFs rendered by fpdf2 alone (same layout code, no database), "
            f"alternating with the worker in rounds of {ROUND}",
            f"CPU time of this process: worker {cpu_run:.1f} s, fpdf2 alone {cpu_floor:.1f} s, "
            f"ratio {cpu_run / cpu_floor:.2f}",
            f"peak MB measured on an identical run of {MEMORY_ISSUED} certificates (tracemalloc)",
        ],
    )


def _certificates(course, user_ids: list[int], *, spread: bool) -> None:
    from smoothlms.core.bulk import insert_rows
    from smoothlms.training.models import Certificate
    from smoothlms.training.services import new_certificate_name

    today, now = timezone.localdate(), timezone.now()
    rows = []
    for i, pk in enumerate(user_ids):
        expiry = today + dt.timedelta(days=(i % 365) if spread else (i % 30))
        rows.append(
            {
                "name": new_certificate_name(),
                "member_id": pk,
                "course_id": course.pk,
                "issue_date": expiry - dt.timedelta(days=365),
                "expiry_date": expiry,
                "subject": f"course:{course.pk}",
                "cycle": 1,
                "created_at": now,
            }
        )
    insert_rows(Certificate, rows, batch_size=5000)


def _scan() -> tuple[int, int]:
    from smoothlms.training.reminders import open_recertification_assignments

    with CaptureQueriesContext(connection) as queries:
        opened = open_recertification_assignments()
    return opened, len(queries.captured_queries)


def _recertification(database: str) -> list:
    from django.db import transaction

    from smoothlms.core.bulk import insert_rows
    from smoothlms.training.models import TrainingAssignment

    rows = []
    for spread in (True, False):
        label = "expiry spread over a year" if spread else "all expiring within the window"
        user_ids = _people(f"recert-{int(spread)}", CERTIFICATES)
        course = _completed_course(f"Recertified ({label})", [])
        _certificates(course, user_ids, spread=spread)
        counted: dict[str, int] = {}

        def scan(counted=counted) -> int:
            opened, counted["queries"] = _scan()
            return opened

        run = measure(scan)
        again = measure(scan)
        assert again.rows == 0, again.rows
        floor_course = _completed_course(f"Floor ({label})", [])
        today, now = timezone.localdate(), timezone.now()

        def floor(floor_course=floor_course, user_ids=user_ids, opened=run.rows, today=today, now=now) -> int:
            with transaction.atomic():
                insert_rows(
                    TrainingAssignment,
                    [
                        {
                            "user_id": pk,
                            "course_id": floor_course.pk,
                            "due_date": today,
                            "status": "assigned",
                            "assigned_by_rule": "recertification",
                            "created_at": now,
                            "updated_at": now,
                        }
                        for pk in user_ids[:opened]
                    ],
                    batch_size=5000,
                )
            return opened

        floored = measure(floor)
        rows.append(
            result(
                f"recertification scan: {CERTIFICATES:,} certificates, {label}",
                database,
                run,
                a=floored,
                check_rows=False,
                notes=[
                    f"{label}: opened {run.rows:,} assignments in {counted['queries']} queries; "
                    f"a second run opened none in {again.seconds:.2f} s",
                    "A here is the floor: bulk INSERTs of the same assignments (core.bulk.insert_rows), no checks",
                ],
            )
        )
    return rows


def run(database: str):
    return [_issuing(database), *_recertification(database)]
