"""bulk_enroll of 10,000 existing users into one cohort with 3 courses: 10,000 enrollments, 30,000
course enrollments, 10,000 audit events and the confirmation tasks (one per 200), with every check.

References in the same run (bench/floors.py), writing the same rows into a cohort of their own:
A, the raw driver floor; B, bulk_create. Baseline: `enroll` one member at a time (on a sample,
compared by rows per second). The timed run is split into phases (bench/capture.py)."""

from __future__ import annotations

import datetime as dt
import uuid

from django.contrib.auth.models import Group
from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from bench.floors import OrmWriter, RawWriter, Rows, write
from bench.harness import measure, repeats, result, scaled
from smoothlms.catalog.models import Batch
from smoothlms.catalog.services import create_batch, create_course
from smoothlms.core.models import EnrollmentEvent
from smoothlms.enrollment.models import BatchEnrollment, CourseEnrollment, Source
from smoothlms.enrollment.services import bulk_enroll, enroll
from smoothlms.people.models import User

MEMBERS = scaled(10_000)
COURSES = 3
BASELINE_SAMPLE = scaled(500)


def _make_users(prefix: str, count: int):
    now = timezone.now()
    User.objects.bulk_create(
        [User(email=f"{prefix}{i}@bench.example.com", password="!", created_at=now) for i in range(count)],
        batch_size=2000,
    )
    users = list(User.objects.filter(email__startswith=prefix).order_by("pk"))
    student, _ = Group.objects.get_or_create(name="LMS Student")
    User.groups.through.objects.bulk_create(
        [User.groups.through(user_id=u.pk, group_id=student.pk) for u in users], batch_size=5000
    )
    return users


def _cohort(title: str, prefix: str):
    courses = [create_course(title=f"{prefix} course {i}", published=True, actor=None) for i in range(COURSES)]
    start = timezone.localdate() + dt.timedelta(days=30)
    return create_batch(
        title=title,
        start_date=start,
        start_time=dt.time(9),
        end_date=start + dt.timedelta(days=5),
        end_time=dt.time(17),
        timezone="Europe/Berlin",
        seat_count=None,
        published=True,
        courses=courses,
        actor=None,
    )


def phase_tables() -> dict[str, str]:
    """Which table's statements belong to which phase (bench/capture.py)."""

    return {
        BatchEnrollment._meta.db_table: "writes",
        CourseEnrollment._meta.db_table: "writes",
        EnrollmentEvent._meta.db_table: "audit",
        DBTaskResult._meta.db_table: "tasks",
        Batch._meta.db_table: "lock",
    }


def _task_shape() -> dict:
    """The columns of a confirmation task row as the case wrote them, but its id and arguments."""
    sample = DBTaskResult.objects.order_by("-enqueued_at").values().first()
    return {name: value for name, value in (sample or {}).items() if name not in ("id", "args_kwargs")}


def floor_rows(writer, *, batch, users, tasks: int, task_shape: dict) -> int:
    """The rows bulk_enroll writes, for `writer` (A or B): enrollments, course enrollments, audit
    events, confirmation tasks and the seat counter."""
    now = timezone.now()
    members = [(u.pk,) for u in users]
    enrollment_ids = writer.insert(
        Rows(
            BatchEnrollment,
            ("member_id",),
            members,
            ids=True,
            fixed={
                "batch_id": batch.pk,
                "member_type": "External",
                "status": "active",
                "source": "api",
                "override_reason": "",
                "created_by_id": None,
                "created_at": now,
                "updated_at": now,
                "confirmation_email_status": "pending",
                "confirmation_email_error": "",
            },
        )
    )
    course_ids = [c.pk for c in batch.courses.all()]
    writer.insert(
        Rows(
            CourseEnrollment,
            ("member_id", "course_id"),
            [(u.pk, c) for u in users for c in course_ids],
            fixed={"enrollment_from_batch_id": batch.pk, "progress": 0, "created_at": now, "updated_at": now},
        )
    )
    writer.insert(
        Rows(
            EnrollmentEvent,
            ("member_id", "enrollment_id"),
            [(u.pk, e) for u, e in zip(users, enrollment_ids, strict=True)],
            fixed={
                "created_at": now,
                "kind": "enrolled",
                "actor_id": None,
                "actor_email": "",
                "batch_id": batch.pk,
                "source": "api",
                "reason": "",
                "before": None,
                "after": {"status": "active", "override_start": False},
                "remote_addr": None,
            },
        )
    )
    if tasks:
        size = -(-len(enrollment_ids) // tasks)
        writer.insert(
            Rows(
                DBTaskResult,
                ("id", "args_kwargs"),
                [
                    (uuid.uuid4(), {"args": [enrollment_ids[i : i + size]], "kwargs": {}})
                    for i in range(0, len(enrollment_ids), size)
                ],
                fixed={**task_shape, "enqueued_at": now},
            )
        )
    quote = connection.ops.quote_name
    writer.execute(
        f"UPDATE {quote(Batch._meta.db_table)} SET seats_taken = seats_taken + %s WHERE id = %s", [len(users), batch.pk]
    )
    return len(users)


def run(database: str):
    users = _make_users("bulk", MEMBERS)
    emails = [u.email for u in users]
    batches = [_cohort(f"Bulk {i}", f"bulk-{i}") for i in range(repeats())]
    memory_batch = _cohort("Bulk memory", "memory")
    run_measure = measure(
        [lambda b=b: bulk_enroll(batch=b, members=emails, actor=None, source=Source.API).created for b in batches],
        memory_fn=lambda: bulk_enroll(batch=memory_batch, members=emails, actor=None, source=Source.API).created,
        phase_tables=phase_tables(),
    )
    assert run_measure.rows == MEMBERS, run_measure.rows

    tasks = run_measure.written.get(DBTaskResult._meta.db_table, 0)
    shape = _task_shape()
    references = []
    for writer, name in ((RawWriter, "A"), (OrmWriter, "B")):
        targets = [_cohort(f"Floor {name} {i}", f"floor-{name}-{i}") for i in range(repeats())]
        references.append(
            measure(
                [
                    lambda b=b, w=writer: write(
                        w, lambda x: floor_rows(x, batch=b, users=users, tasks=tasks, task_shape=shape)
                    )
                    for b in targets
                ]
            )
        )
    a, b = references

    sample = _make_users("single", BASELINE_SAMPLE)
    single_batch = _cohort("Single", "single")

    def per_row() -> int:
        for user in sample:
            enroll(batch=single_batch, member=user, actor=None, source=Source.API)
        return len(sample)

    baseline = measure(per_row)
    label = f"bulk_enroll: {MEMBERS:,} users x {COURSES} courses"
    return [
        result(
            label,
            database,
            run_measure,
            a=a,
            b=b,
            baseline=baseline,
            notes=[
                f"per-row baseline: enroll() one member at a time, {BASELINE_SAMPLE} members: "
                f"{baseline.rows_per_second:.0f} rows/s",
                f"rows: {MEMBERS:,} enrollments, {MEMBERS * COURSES:,} course enrollments, "
                f"{MEMBERS:,} audit events, {tasks} confirmation tasks, the seat counter",
            ],
        )
    ]
