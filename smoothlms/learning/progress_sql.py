"""The statements of a learner's step (complete a lesson, commit SCORM data), written out once.

A step runs on every page a learner finishes, so its few statements are plain SQL on the
connection's cursor instead of querysets built and compiled on each request: parameters only,
the same text on SQLite, PostgreSQL and MariaDB except the row lock's clause. Values are written
through the model fields (`get_db_prep_save`), so JSON, decimals and instants are stored exactly
as the ORM stores them. The rules stay in learning.services, which calls these in this order: the
enrollment lock first, then the member's standing, then the writes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from smoothlms.catalog.models import Chapter, Lesson
from smoothlms.enrollment.models import CourseEnrollment, EnrollmentStatus
from smoothlms.learning.models import LessonProgress, LessonStatus

STEP_FIELDS = ("id", "chapter_id", "kind", "scorm_version")


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _prep(model, name: str, value: Any) -> Any:
    return model._meta.get_field(name).get_db_prep_save(value, connection)


def _instant(value: Any) -> dt.datetime | None:
    """A datetime column as read by the driver: aware (PostgreSQL), naive UTC (MariaDB) or text (SQLite)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = parse_datetime(value)
    return value if timezone.is_aware(value) else timezone.make_aware(value, dt.UTC)


def _lock_clause() -> str:
    """The row lock of the enrollment: NO KEY UPDATE of that table alone on PostgreSQL, FOR UPDATE
    on MariaDB; none on SQLite, whose write transactions are IMMEDIATE (settings)."""
    features = connection.features
    if not features.has_select_for_update:
        return ""
    strength = "NO KEY UPDATE" if features.has_select_for_no_key_update else "UPDATE"
    of = f" OF {_table(CourseEnrollment)}" if features.has_select_for_update_of else ""
    return f" FOR {strength}{of}"


LESSON_COLUMNS = [field.attname for field in Lesson._meta.concrete_fields if field.attname in STEP_FIELDS]


def _lesson(values: list[Any], course_id: int) -> Lesson:
    """A Lesson with LESSON_COLUMNS (the rest deferred) and its chapter with the course id."""
    lesson = Lesson.from_db(connection.alias, LESSON_COLUMNS, values)
    lesson.chapter = Chapter.from_db(connection.alias, ["id", "course_id"], [lesson.chapter_id, course_id])
    return lesson


def read_lesson(lesson_id: int) -> Lesson | None:
    """The lesson a step is for, with what a step reads of it (STEP_FIELDS), its chapter attached
    with the course id (the course itself loads when read)."""
    lesson, chapter = _table(Lesson), _table(Chapter)
    sql = (
        f"SELECT {', '.join(f'{lesson}.{name}' for name in LESSON_COLUMNS)}, {chapter}.course_id FROM {lesson} "
        f"INNER JOIN {chapter} ON {lesson}.chapter_id = {chapter}.id WHERE {lesson}.id = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [lesson_id])
        row = cursor.fetchone()
    return None if row is None else _lesson(list(row[:-1]), row[-1])


@dataclass
class LockedEnrollment:
    """The member's active course enrollment, locked, with the course's lessons and the step's
    lesson (as read_lesson gives it) read by the same statement."""

    id: int
    progress: int
    completed_at: dt.datetime | None
    batch_id: int | None
    lesson_count: int
    lesson: Lesson


def lock_step(*, member_id: int, lesson_id: int) -> LockedEnrollment | None:
    """Lock the member's active enrollment in the course of lesson `lesson_id`; None when there is
    none (or no such lesson). The lesson and the course's lessons are read by subqueries, which lock
    nothing (MariaDB's FOR UPDATE locks only the rows of the outer table, too)."""
    enrollment, lesson, chapter = _table(CourseEnrollment), _table(Lesson), _table(Chapter)
    course_of_lesson = (
        f"SELECT {chapter}.course_id FROM {lesson} INNER JOIN {chapter} ON {lesson}.chapter_id = {chapter}.id "
        f"WHERE {lesson}.id = %s"
    )
    lesson_values = ", ".join(f"(SELECT {name} FROM {lesson} WHERE id = %s)" for name in LESSON_COLUMNS)
    sql = (
        f"SELECT {enrollment}.id, {enrollment}.progress, {enrollment}.completed_at, "
        f"{enrollment}.enrollment_from_batch_id, {enrollment}.course_id, "
        f"(SELECT COUNT(*) FROM {lesson} INNER JOIN {chapter} ON {lesson}.chapter_id = {chapter}.id "
        f"WHERE {chapter}.course_id = {enrollment}.course_id), {lesson_values} "
        f"FROM {enrollment} WHERE {enrollment}.member_id = %s AND {enrollment}.status = %s "
        f"AND {enrollment}.course_id = ({course_of_lesson}){_lock_clause()}"
    )
    params = [lesson_id] * len(LESSON_COLUMNS) + [member_id, EnrollmentStatus.ACTIVE.value, lesson_id]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    return LockedEnrollment(
        id=row[0],
        progress=int(row[1]),
        completed_at=_instant(row[2]),
        batch_id=row[3],
        lesson_count=row[5],
        lesson=_lesson(list(row[6:]), row[4]),
    )


@dataclass(frozen=True)
class Standing:
    """The member's row for one lesson (id and status; None before the first step) and the lessons
    they completed in its course."""

    row_id: int | None
    status: str | None
    completed: int


def read_standing(*, member_id: int, lesson_id: int, course_id: int) -> Standing:
    """One statement; read once the enrollment is locked, so it sees every committed step."""
    progress = _table(LessonProgress)
    sql = (
        "SELECT COUNT(CASE WHEN status = %s THEN 1 END), MAX(CASE WHEN lesson_id = %s THEN id END), "
        f"MAX(CASE WHEN lesson_id = %s THEN status END) FROM {progress} WHERE member_id = %s AND course_id = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [LessonStatus.COMPLETED.value, lesson_id, lesson_id, member_id, course_id])
        completed, row_id, status = cursor.fetchone()
    return Standing(row_id=row_id, status=status, completed=completed or 0)


def insert_progress(**values: Any) -> int:
    """A new progress row with `values` (column: value; the others as the model defaults them)."""
    now = timezone.now()
    values = {"started_at": now, "completed_at": None, "scorm_data": {}, "score": None, "updated_at": now} | values
    columns = list(values)
    sql = (
        f"INSERT INTO {_table(LessonProgress)} ({', '.join(columns)}) "
        f"VALUES ({', '.join(['%s'] * len(columns))}) RETURNING id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [_prep(LessonProgress, name, value) for name, value in values.items()])
        return cursor.fetchone()[0]


def update_row(model, row_id: int, **values: Any) -> int:
    """Set `values` (column: value) and updated_at on the row `row_id` of `model` (progress or
    course enrollment); the rows changed."""
    return _update(model, values, "id = %s", [row_id])


def update_scorm_data(*, member_id: int, lesson_id: int, **values: Any) -> int:
    """Write the SCORM values (scorm_data, score) on the member's row for the lesson unless it is
    completed, marking it in progress: 1 if it did, 0 without a row or when the row is completed."""
    where = "member_id = %s AND lesson_id = %s AND status <> %s"
    values = values | {"status": LessonStatus.IN_PROGRESS}
    return _update(LessonProgress, values, where, [member_id, lesson_id, LessonStatus.COMPLETED.value])


def _update(model, values: dict[str, Any], where: str, params: list[Any]) -> int:
    values = values | {"updated_at": timezone.now()}
    sql = f"UPDATE {_table(model)} SET {', '.join(f'{name} = %s' for name in values)} WHERE {where}"
    with connection.cursor() as cursor:
        cursor.execute(sql, [*(_prep(model, name, value) for name, value in values.items()), *params])
        return cursor.rowcount
