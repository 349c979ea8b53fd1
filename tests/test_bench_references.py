"""The benchmark's references (bench/floors.py) write what the engine writes: the same tables, row
counts and column values (ids, timestamps and the per-row keys aside), on every database. If a
service starts writing other rows or values, these fail, and the floors must follow, or the
benchmark's ratios stop meaning anything. Also: how bench/capture.py classifies statements."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from bench.capture import Phases, classify, phases, rows_written
from bench.cases import bulk_enroll as bulk_case
from bench.cases import hr as hr_case
from bench.floors import OrmWriter, RawWriter, write
from smoothlms.catalog.models import Batch
from smoothlms.catalog.services import create_course
from smoothlms.core.models import EnrollmentEvent
from smoothlms.enrollment.models import BatchEnrollment, CourseEnrollment, Source
from smoothlms.enrollment.services import bulk_enroll
from smoothlms.people.models import Employee, User
from smoothlms.people.roles import Role
from smoothlms.training.models import TrainingAssignment
from smoothlms.training.services import assign_training

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _database_tasks(settings):
    """The benchmark's task backend: tasks are rows (the suite's default runs them at once)."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


KEYS = {
    "id",
    "batch_id",
    "course_id",
    "enrollment_id",
    "enrollment_from_batch_id",
    "member_id",
    "user_id",
    "created_at",
    "updated_at",
    "enqueued_at",
    "synced_at",
    "args_kwargs",
}


def _plain(value) -> str:
    return json.dumps(value, sort_keys=True) if isinstance(value, dict | list) else str(value)


def _values(rows, *, drop=()) -> Counter:
    """The rows (a queryset, or dicts) as a multiset of their values, keys and timestamps left out."""
    rows = rows.values() if hasattr(rows, "values") and not isinstance(rows, list) else rows
    return Counter(
        tuple(sorted((name, _plain(value)) for name, value in row.items() if name not in KEYS | set(drop)))
        for row in rows
    )


def _bulk_rows(batch: Batch) -> dict:
    enrollments = BatchEnrollment.objects.filter(batch=batch)
    return {
        "enrollments": _values(enrollments),
        "courses": _values(CourseEnrollment.objects.filter(enrollment_from_batch=batch)),
        "events": _values(EnrollmentEvent.objects.filter(batch=batch)),
        "tasks": _values(
            [
                task
                for task in DBTaskResult.objects.values()
                if set(task["args_kwargs"]["args"][0]) <= set(enrollments.values_list("pk", flat=True))
            ]
        ),
        "seats": Batch.objects.get(pk=batch.pk).seats_taken,
    }


def test_references_write_what_bulk_enroll_writes():
    users = bulk_case._make_users("ref", 7)
    case, raw, orm = (bulk_case._cohort(title, title.lower()) for title in ("Case", "Raw", "Orm"))
    written: dict[str, dict] = {"case": {}, "raw": {}, "orm": {}}
    with rows_written(written["case"]):
        assert bulk_enroll(batch=case, members=[u.email for u in users], actor=None, source=Source.API).created == 7
    tasks = written["case"][DBTaskResult._meta.db_table]
    shape = bulk_case._task_shape()
    for name, writer, batch in (("raw", RawWriter, raw), ("orm", OrmWriter, orm)):
        with rows_written(written[name]):
            write(
                writer, lambda w, b=batch: bulk_case.floor_rows(w, batch=b, users=users, tasks=tasks, task_shape=shape)
            )

    assert written["raw"] == written["case"] == written["orm"]
    assert _bulk_rows(raw) == _bulk_rows(case) == _bulk_rows(orm)
    assert _bulk_rows(case)["seats"] == 7


def test_references_write_what_the_import_writes(monkeypatch):
    monkeypatch.setattr(hr_case, "EMPLOYEES", 6)
    Group.objects.get_or_create(name=Role.LMS_STUDENT)  # made by a migration; gone after a flush
    path = hr_case._export("hr")
    written: dict[str, dict] = {"case": {}, "raw": {}, "orm": {}}
    try:
        with rows_written(written["case"]):
            hr_case._import(path)
    finally:
        path.unlink()
    for name, writer in (("raw", RawWriter), ("orm", OrmWriter)):
        with rows_written(written[name]):
            write(writer, lambda w, prefix=f"floor-{name}": hr_case.people_rows(w, prefix))

    assert written["raw"] == written["case"] == written["orm"]

    def rows(prefix: str) -> dict:
        users = User.objects.filter(email__startswith=f"{prefix}.")
        return {
            "users": _values(users, drop={"email", "full_name", "password"}),
            "passwords": {u.password[:1] for u in users},
            "roles": Counter(tuple(sorted(u.role_names)) for u in users),
            "employees": _values(
                Employee.objects.filter(user__in=users),
                drop={"employee", "employee_name", "company_email", "department", "active_user"},
            ),
            "events": Counter(
                (e.kind, e.source, tuple(sorted(e.after)), tuple(e.after["roles"]), e.after["enabled"])
                for e in EnrollmentEvent.objects.filter(member__in=users)
            ),
        }

    assert rows("floor-raw") == rows("hr") == rows("floor-orm")


def test_references_write_what_assign_training_writes():
    users = bulk_case._make_users("assign", 5)
    ids = [u.pk for u in users]
    due = timezone.localdate() + dt.timedelta(days=30)
    courses = {
        name: [create_course(title=f"{name} {i}", published=True, actor=None) for i in range(2)]
        for name in ("case", "raw", "orm")
    }
    written: dict[str, dict] = {"case": {}, "raw": {}, "orm": {}}
    with rows_written(written["case"]):
        assign_training(user_ids=ids, courses=courses["case"], due_date=due, actor=None, assigned_by_rule=hr_case.RULE)
    events = written["case"][EnrollmentEvent._meta.db_table]
    for name, writer in (("raw", RawWriter), ("orm", OrmWriter)):
        with rows_written(written[name]):
            write(
                writer,
                lambda w, c=courses[name]: hr_case.assignment_rows(w, user_ids=ids, courses=c, due=due, events=events),
            )

    assert written["raw"] == written["case"] == written["orm"]

    def rows(name: str) -> dict:
        names = [c.name for c in courses[name]]
        return {
            "assignments": _values(TrainingAssignment.objects.filter(course__in=courses[name])),
            "events": Counter(
                (e.kind, e.source, tuple(sorted(e.after)), e.after["assigned"], e.after["due_date"])
                for e in EnrollmentEvent.objects.filter(kind="training_assigned")
                if e.after["course"] in names
            ),
        }

    assert rows("raw") == rows("case") == rows("orm")


@pytest.mark.parametrize(
    ("sql", "phase"),
    [
        ('SELECT "people_user"."id" FROM "people_user" WHERE "people_user"."email" IN (%s)', "reads"),
        ('SELECT "catalog_batch"."id" FROM "catalog_batch" WHERE "catalog_batch"."id" = %s FOR NO KEY UPDATE', "lock"),
        ("SELECT `catalog_batch`.`id` FROM `catalog_batch` WHERE `catalog_batch`.`id` = %s FOR UPDATE", "lock"),
        ('UPDATE "catalog_batch" SET "seats_taken" = ("catalog_batch"."seats_taken" + %s)', "lock"),
        ('INSERT INTO "enrollment_batchenrollment" ("batch_id") VALUES (%s)', "writes"),
        ('INSERT INTO "core_enrollmentevent" ("kind") SELECT %s FROM "enrollment_batchenrollment" e', "audit"),
        ('COPY "core_enrollmentevent" ("kind") FROM STDIN', "audit"),
        ('COPY "_bulk_1a2b" ("user_id") FROM STDIN', "writes"),
        (
            'CREATE TEMPORARY TABLE "_bulk_1a2b" AS SELECT "user_id" FROM "training_trainingassignment" WITH NO DATA',
            "writes",
        ),
        ('INSERT INTO "django_tasks_database_dbtaskresult" ("id") VALUES (%s)', "tasks"),
        ('SAVEPOINT "s1_x1"', "other"),
        (
            'WITH seat AS (UPDATE "catalog_batch" SET "seats_taken" = 1 RETURNING "id"), enrolled AS '
            '(INSERT INTO "enrollment_batchenrollment" ("batch_id") SELECT 1 FROM seat RETURNING "id") '
            "SELECT id FROM enrolled",
            "lock",
        ),
        ('WITH recent AS (SELECT "id" FROM "people_user") SELECT "id" FROM recent', "reads"),
    ],
)
def test_statements_are_classified_by_kind_and_table(sql, phase):
    tables = {
        "enrollment_batchenrollment": "writes",
        "core_enrollmentevent": "audit",
        "django_tasks_database_dbtaskresult": "tasks",
        "catalog_batch": "lock",
        "training_trainingassignment": "writes",
    }
    assert classify(sql, tables) == phase


def test_phases_account_for_the_whole_run():
    users = bulk_case._make_users("phases", 4)
    batch = bulk_case._cohort("Phases", "phases")
    timed = Phases()
    with phases(timed, bulk_case.phase_tables()):
        bulk_enroll(batch=batch, members=[u.email for u in users], actor=None, source=Source.API)

    assert sum(timed.seconds.values()) == pytest.approx(timed.total, rel=1e-6)
    assert timed.statements["reads"] and timed.statements["writes"] and timed.statements["audit"]
    assert timed.statements["tasks"] == 1 and timed.statements["commit"] == 1
    if connection.vendor == "postgresql":  # the COPY watch is gone again
        assert "copy" not in vars(connection.connection.cursor_factory)
