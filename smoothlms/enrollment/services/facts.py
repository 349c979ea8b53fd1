"""The facts `refusal_for` needs, read by the enrolling paths inside their transaction: the bulk
path after the cohort's row lock, so that what it reads cannot change before it commits; the single
path first as committed (its seat UPDATE is conditional; self-enrollment over the API reads them
before its transaction, with the cohort), then under the lock when that is needed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from django.db import DEFAULT_DB_ALIAS, connection

from smoothlms.catalog.models import Batch, BatchCourse, Course
from smoothlms.core.db import any_of, instance_from_row
from smoothlms.enrollment.models import BatchEnrollment, EnrollmentStatus
from smoothlms.enrollment.rules import CohortFacts
from smoothlms.people.models import Employee, User
from smoothlms.people.roles import is_student_sql


def reload_cohort_facts(batch: Batch, *, now: dt.datetime, lock: bool = False) -> CohortFacts:
    """`batch` reloaded from the database (row-locked until commit with `lock`, as enrollment.locks
    does for one cohort) and its facts, in one statement: the row, with the name of its first
    unpublished course beside it. Written as SQL: it runs on every enrollment, and the ORM would
    build the same statement again each time."""
    fresh = _cohort_row("id", batch.pk, lock=lock)
    if fresh is None:
        raise Batch.DoesNotExist(f"cohort {batch.pk} is gone")
    for field in Batch._meta.concrete_fields:  # as refresh_from_db copies a reloaded row
        setattr(batch, field.attname, getattr(fresh, field.attname))
        if field.is_relation and field.is_cached(batch):
            field.delete_cached_value(batch)
    return CohortFacts.of(batch, unpublished_course=fresh.first_unpublished_course, now=now)


def read_self_enrollment(name: str, member: User, *, now: dt.datetime) -> tuple[Batch, CohortFacts, MemberRead] | None:
    """The cohort named `name`, its facts and `member`'s (as `read_member` reads them), in one
    statement, or None when there is no such cohort: all that `member` enrolling themselves needs
    to be answered, read as committed, so that a refusal opens no transaction."""
    batch_columns = len(Batch._meta.concrete_fields)
    with connection.cursor() as cursor:
        sql, member_params = _self_enrollment_sql(connection.vendor)
        cursor.execute(sql, [*member_params, member.pk, name])
        row = cursor.fetchone()
    if row is None:
        return None
    batch = instance_from_row(Batch, row[:batch_columns])
    unpublished_course, student, employee, enrollment_id, status = row[batch_columns:]
    enrollment = None
    if enrollment_id is not None:
        enrollment = BatchEnrollment.from_db(
            DEFAULT_DB_ALIAS, _ENROLLMENT_FIELDS, (enrollment_id, batch.pk, member.pk, status)
        )
    facts = CohortFacts.of(batch, unpublished_course=unpublished_course, now=now)
    return batch, facts, MemberRead(is_student=bool(student), employee=bool(employee), enrollment=enrollment)


@cache
def _self_enrollment_sql(vendor: str) -> tuple[str, list]:
    quote = connection.ops.quote_name
    table = quote(Batch._meta.db_table)
    columns = ", ".join(f"{table}.{quote(field.column)}" for field in Batch._meta.concrete_fields)
    member, member_params = _member_columns()
    sql = (
        f"SELECT {columns}, {_first_unpublished_sql(table)}, {member} "
        f"FROM {table} LEFT JOIN {quote(User._meta.db_table)} u ON u.id = %s "
        f"LEFT JOIN {quote(BatchEnrollment._meta.db_table)} e ON e.batch_id = {table}.id AND e.member_id = u.id "
        f"WHERE {table}.{quote('name')} = %s"
    )
    return sql, member_params


def _member_columns() -> tuple[str, list]:
    """What both reads select of a member `u` (and of their row `e` in the cohort), and its
    parameters: is a student, has an Employee record, the enrollment's id and status."""
    students, params = is_student_sql("u.id")
    employee = f"EXISTS (SELECT 1 FROM {connection.ops.quote_name(Employee._meta.db_table)} p WHERE p.user_id = u.id)"
    return f"{students}, {employee}, e.id, e.status", params


def _first_unpublished_sql(table: str) -> str:
    """The name of the first unpublished course of the cohort row of `table`, a subquery."""
    quote = connection.ops.quote_name
    return (
        f"(SELECT c.{quote('name')} FROM {quote(BatchCourse._meta.db_table)} bc "
        f"JOIN {quote(Course._meta.db_table)} c ON c.id = bc.course_id "
        f"WHERE bc.batch_id = {table}.{quote('id')} AND NOT c.published ORDER BY bc.position, bc.id LIMIT 1)"
    )


def _cohort_row(column: str, value: object, *, lock: bool) -> Batch | None:
    return next(iter(Batch.objects.raw(_cohort_sql(connection.vendor, column, lock), [value])), None)


@cache
def _cohort_sql(vendor: str, column: str, lock: bool) -> str:
    quote = connection.ops.quote_name
    table = quote(Batch._meta.db_table)  # named in full, not aliased: as the ORM's own reload reads
    columns = ", ".join(f"{table}.{quote(field.column)}" for field in Batch._meta.concrete_fields)
    lock_clause = ""
    if lock and connection.features.has_select_for_update:
        lock_clause = " FOR NO KEY UPDATE" if connection.features.has_select_for_no_key_update else " FOR UPDATE"
    return (
        f"SELECT {columns}, {_first_unpublished_sql(table)} AS first_unpublished_course "
        f"FROM {table} WHERE {table}.{quote(column)} = %s{lock_clause}"
    )


@dataclass(frozen=True)
class MemberRead:
    """What the single path reads of one member, in one statement (the bulk path's query)."""

    is_student: bool
    employee: bool
    enrollment: BatchEnrollment | None  # their row in the cohort (any status; id and status)


def read_member(batch: Batch, user: User) -> MemberRead:
    for user_id, _email, _enabled, student, employee, enrollment_id, status in _members_rows(batch, {user.email}):
        if user_id == user.pk:
            enrollment = None
            if enrollment_id is not None:
                enrollment = BatchEnrollment.from_db(
                    DEFAULT_DB_ALIAS, _ENROLLMENT_FIELDS, (enrollment_id, batch.pk, user_id, status)
                )
            return MemberRead(is_student=bool(student), employee=bool(employee), enrollment=enrollment)
    return MemberRead(is_student=False, employee=False, enrollment=None)  # the user is gone since


def is_active(enrollment: BatchEnrollment | None) -> bool:
    """Holds a seat, or a place on the waitlist: enrolling again is `already_enrolled` either way."""
    return enrollment is not None and enrollment.status in (EnrollmentStatus.ACTIVE, EnrollmentStatus.WAITLISTED)


@dataclass(frozen=True)
class MembersRead:
    """What the bulk path reads once per chunk for all its members: one query."""

    users: dict[str, User]  # by email (id, email and enabled: what the rules read of a user)
    students: set[int]  # user ids with the LMS Student role
    enrollments: dict[int, BatchEnrollment]  # their rows in the cohort (any status; id and status), by user id
    employees: set[int]  # user ids that an HR Employee record links

    @classmethod
    def of(cls, batch: Batch, emails: Iterable[str]) -> MembersRead:
        read = cls(users={}, students=set(), enrollments={}, employees=set())
        for user_id, email, enabled, student, employee, enrollment_id, status in _members_rows(batch, set(emails)):
            read.users[email] = User.from_db(DEFAULT_DB_ALIAS, _USER_FIELDS, (user_id, email, bool(enabled)))
            if student:
                read.students.add(user_id)
            if employee:
                read.employees.add(user_id)
            if enrollment_id is not None:
                read.enrollments[user_id] = BatchEnrollment.from_db(
                    DEFAULT_DB_ALIAS, _ENROLLMENT_FIELDS, (enrollment_id, batch.pk, user_id, status)
                )
        return read


_USER_FIELDS = ["id", "email", "enabled"]
_ENROLLMENT_FIELDS = ["id", "batch_id", "member_id", "status"]


def _members_rows(batch: Batch, emails: set[str]) -> list[tuple]:
    """(user id, email, enabled, is a student, has an Employee record, enrollment id in `batch`,
    its status) of the users with these emails: raw SQL, since the ORM prepares each of a thousand
    emails in Python (core.db.any_of)."""
    if not emails:
        return []
    quote = connection.ops.quote_name
    member, member_params = _member_columns()
    by_email, email_params = any_of("u.email", sorted(emails))
    sql = (
        f"SELECT u.id, u.email, u.enabled, {member} "
        f"FROM {quote(User._meta.db_table)} u LEFT JOIN {quote(BatchEnrollment._meta.db_table)} e "
        f"ON e.member_id = u.id AND e.batch_id = %s WHERE {by_email}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*member_params, batch.pk, *email_params])
        return cursor.fetchall()
