"""Course access: the course enrollments that a cohort seat brings."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection
from django.db.models import Exists, OuterRef
from django.utils import timezone

from smoothlms.catalog.models import Batch, BatchCourse
from smoothlms.core.db import any_of
from smoothlms.enrollment.models import BatchEnrollment, CourseEnrollment, EnrollmentStatus
from smoothlms.people.models import User


def grant_course_access(*, batch: Batch, member_ids: Sequence[int]) -> int:
    """One active course enrollment per (member, cohort course) for the given members: missing ones
    are created, withdrawn ones (cancelled) are made active again with their progress as it was.
    One statement per call (an INSERT ... SELECT that restores on conflict): the rows never pass
    through Python, which keeps large rosters fast (see bench/). Returns the database's count of
    rows written (each vendor counts a restored row its own way)."""
    if not member_ids:
        return 0
    return _insert_or_restore(batch, member_ids)


def grant_courses_to_members(*, batch: Batch) -> int:
    """`grant_course_access` for every active member of `batch` (a course was added to it)."""
    member_ids = list(
        BatchEnrollment.objects.filter(batch=batch, status=EnrollmentStatus.ACTIVE)
        .order_by("member_id")
        .values_list("member_id", flat=True)
    )
    return grant_course_access(batch=batch, member_ids=member_ids)


def _cohort_courses(batch: Batch):
    return BatchCourse.objects.filter(batch=batch).values("course_id")


def withdraw_course_access(*, batch: Batch, member_ids: Sequence[int]) -> int:
    """Withdraw the cohort's courses from members who left it (status cancelled, progress kept),
    except a course that another of their active cohort enrollments gives. One UPDATE. Returns the
    number of course enrollments withdrawn."""
    if not member_ids:
        return 0
    given_elsewhere = BatchEnrollment.objects.filter(
        member_id=OuterRef("member_id"),
        status=EnrollmentStatus.ACTIVE,
        batch__batch_courses__course_id=OuterRef("course_id"),
    ).exclude(batch_id=batch.pk)
    return (
        CourseEnrollment.objects.filter(
            member_id__in=member_ids, course_id__in=_cohort_courses(batch), status=EnrollmentStatus.ACTIVE
        )
        .filter(~Exists(given_elsewhere))
        .update(status=EnrollmentStatus.CANCELLED, updated_at=timezone.now())
    )


def _insert_or_restore(batch: Batch, member_ids: Sequence[int]) -> int:
    members, params = any_of("id", member_ids)
    sql, values = course_access_sql(
        batch, f"(SELECT id AS member_id FROM {connection.ops.quote_name(User._meta.db_table)} WHERE {members})", params
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        return cursor.rowcount


def course_access_sql(batch: Batch, members: str, params: Sequence) -> tuple[str, list]:
    """`grant_course_access`'s statement, and its parameters, for the members that `members` (SQL
    with its `params`: a subquery, or a table of a larger statement, with a `member_id` column) gives."""
    quote = connection.ops.quote_name
    course_table = quote(CourseEnrollment._meta.db_table)
    link_table = quote(BatchCourse._meta.db_table)
    now = timezone.now()
    select = (
        f"SELECT m.member_id, bc.course_id, %s, 0, %s, %s FROM {link_table} bc CROSS JOIN {members} m "
        "WHERE bc.batch_id = %s"
    )
    columns = "(member_id, course_id, enrollment_from_batch_id, progress, created_at, updated_at)"
    active, cancelled = EnrollmentStatus.ACTIVE.value, EnrollmentStatus.CANCELLED.value
    if connection.vendor == "mysql":
        # An existing row: restored if it was withdrawn, else left as it is. MariaDB assigns left to
        # right, so updated_at is decided before status changes.
        restore = (
            f"updated_at = IF(status = '{cancelled}', VALUES(updated_at), updated_at), "
            f"status = IF(status = '{cancelled}', '{active}', status)"
        )
        sql = f"INSERT INTO {course_table} {columns} {select} ON DUPLICATE KEY UPDATE {restore}"
    else:
        sql = (
            f"INSERT INTO {course_table} {columns} {select} ON CONFLICT (member_id, course_id) DO UPDATE "
            f"SET status = '{active}', updated_at = excluded.updated_at WHERE {course_table}.status = '{cancelled}'"
        )
    return sql, [batch.pk, now, now, *params, batch.pk]
