"""bulk_enroll of 10,000 existing users into one cohort with 3 courses (10,000 enrollments and
30,000 course enrollments). Floor: plain bulk INSERTs of the same rows with no checks. Baseline:
`enroll` one member at a time (on a sample, compared by rows per second)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from bench.harness import measure, result

MEMBERS = 10_000
BASELINE_SAMPLE = 500


def _make_users(prefix: str, count: int):
    from django.contrib.auth.models import Group

    from smoothlms.people.models import User

    now = timezone.now()
    User.objects.bulk_create([User(email=f"{prefix}{i}@bench.example.com", password="!", created_at=now)
                              for i in range(count)], batch_size=2000)
    users = list(User.objects.filter(email__startswith=prefix).order_by("pk"))
    student, _ = Group.objects.get_or_create(name="LMS Student")
    User.groups.through.objects.bulk_create([User.groups.through(user_id=u.pk, group_id=student.pk) for u in users],
                                            batch_size=5000)
    return users


def _cohort(title: str, courses):
    from smoothlms.catalog.services import create_batch

    start = timezone.localdate() + dt.timedelta(days=30)
    return create_batch(title=title, start_date=start, start_time=dt.time(9), end_date=start + dt.timedelta(days=5),
                        end_time=dt.time(17), timezone="Europe/Berlin", seat_count=None, published=True,
                        courses=courses, actor=None)


def _courses(prefix: str):
    from smoothlms.catalog.services import create_course

    return [create_course(title=f"{prefix} course {i}", published=True, actor=None) for i in range(3)]


def _floor_sql(batch, users, courses) -> int:
    """The same rows as plain multi-row INSERTs through the DB-API: no checks, no model objects."""
    from django.db import connection, transaction

    from smoothlms.enrollment.models import BatchEnrollment, CourseEnrollment

    now = timezone.now()
    enrollment_table = BatchEnrollment._meta.db_table
    course_table = CourseEnrollment._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {enrollment_table} (batch_id, member_id, member_type, status, source, override_reason, "
            "created_at, updated_at, confirmation_email_status, confirmation_email_sent, "
            "confirmation_email_attempts, confirmation_email_error) "
            "VALUES (%s, %s, 'External', 'active', 'api', '', %s, %s, 'pending', false, 0, '')",
            [(batch.pk, u.pk, now, now) for u in users])
        cursor.executemany(
            f"INSERT INTO {course_table} (member_id, course_id, enrollment_from_batch_id, progress, created_at, "
            "updated_at) VALUES (%s, %s, %s, 0, %s, %s)",
            [(u.pk, c.pk, batch.pk, now, now) for u in users for c in courses])
    return len(users)


def run(database: str):
    from smoothlms.enrollment.models import Source
    from smoothlms.enrollment.services import bulk_enroll, enroll

    users = _make_users("bulk", MEMBERS)
    emails = [u.email for u in users]
    floor_batch = _cohort("Floor", _courses("floor"))
    floor = measure(lambda: _floor_sql(floor_batch, users, list(floor_batch.courses.all())))

    batch = _cohort("Bulk", _courses("bulk"))
    memory_batch = _cohort("Bulk memory", _courses("memory"))
    run_measure = measure(
        lambda: bulk_enroll(batch=batch, members=emails, actor=None, source=Source.API).created,
        memory_fn=lambda: bulk_enroll(batch=memory_batch, members=emails, actor=None, source=Source.API).created,
    )
    assert run_measure.rows == MEMBERS, run_measure.rows

    sample = _make_users("single", BASELINE_SAMPLE)
    single_batch = _cohort("Single", _courses("single"))

    def per_row() -> int:
        for user in sample:
            enroll(batch=single_batch, member=user, actor=None, source=Source.API)
        return len(sample)

    baseline = measure(per_row)
    return [result("bulk_enroll: 10,000 users, 3 courses", database, run_measure, floor=floor, baseline=baseline,
                   notes=[f"per-row baseline: enroll() one member at a time, {BASELINE_SAMPLE} members",
                          "floor: executemany INSERTs of the 10,000 enrollments and 30,000 course enrollments",
                          "bulk_enroll also writes 10,000 audit events and queues 50 confirmation tasks"])]
