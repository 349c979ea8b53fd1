"""core.db.instance_from_row: a row read on a raw cursor becomes the instance the ORM would load;
core.db.insert_select: an unsaved instance becomes the row the ORM would insert, once per row of a FROM;
core.db.violated_constraint names the constraint a write broke, on every database; core.db.rows_by_key
reads the rows of many keys in one statement."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from smoothlms.catalog.models import Batch
from smoothlms.catalog.tests.factories import BatchFactory
from smoothlms.core.db import insert_select, instance_from_row, rows_by_key, violated_constraint
from smoothlms.core.models import EnrollmentEvent
from smoothlms.enrollment.models import BatchEnrollment
from smoothlms.people.models import Employee
from smoothlms.people.tests.factories import EmployeeFactory, UserFactory


def _raw_row(batch: Batch) -> tuple:
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in Batch._meta.concrete_fields)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM {quote(Batch._meta.db_table)} WHERE id = %s", [batch.pk])
        return cursor.fetchone()


@pytest.mark.django_db
def test_a_raw_row_converts_as_the_orm_loads_it():
    made = BatchFactory(
        start_time=dt.time(9, 30),
        end_time=dt.time(17, 0),
        paid_batch=True,
        amount=Decimal("120.50"),
        currency="EUR",
        waitlist_enabled=True,
    )
    loaded = Batch.objects.get(pk=made.pk)
    built = instance_from_row(Batch, _raw_row(made))
    for field in Batch._meta.concrete_fields:
        value, expected = getattr(built, field.attname), getattr(loaded, field.attname)
        assert (value, type(value)) == (expected, type(expected)), field.attname
    assert built.updated_at.tzinfo is not None
    assert built._state.adding is False and built._state.db == "default"


@pytest.mark.django_db
def test_a_row_of_the_wrong_width_is_refused():
    with pytest.raises(ValueError):
        instance_from_row(Batch, _raw_row(BatchFactory())[:-1])


def _event(batch: Batch | None) -> EnrollmentEvent:
    return EnrollmentEvent(
        kind="enrolled",
        batch=batch,
        source="api",
        reason="a reason with 'quotes'",
        after={"status": "active", "nested": [1, None, "é"]},
        remote_addr="127.0.0.1",
    )


@pytest.mark.django_db
def test_an_insert_select_writes_what_the_orm_writes():
    batch = BatchFactory()
    by_orm = _event(batch)
    by_orm.save()
    table = connection.ops.quote_name(Batch._meta.db_table)
    sql, params = insert_select(_event(None), from_sql=f"{table} b WHERE b.id = %s", columns={"batch_id": "b.id"})
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, batch.pk])
    inserted = EnrollmentEvent.objects.exclude(pk=by_orm.pk).get()
    fields = [f.attname for f in EnrollmentEvent._meta.concrete_fields if f.attname not in ("id", "created_at")]
    assert [getattr(inserted, name) for name in fields] == [getattr(by_orm, name) for name in fields]
    assert inserted.batch_id == batch.pk  # taken from the FROM
    assert inserted.created_at.tzinfo is not None


@pytest.mark.django_db
def test_an_insert_select_from_no_rows_inserts_nothing():
    table = connection.ops.quote_name(Batch._meta.db_table)
    sql, params = insert_select(_event(None), from_sql=f"{table} b WHERE b.id = %s", columns={"batch_id": "b.id"})
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, -1])
    assert not EnrollmentEvent.objects.exists()


@pytest.mark.django_db
def test_a_unique_violation_is_named_on_every_database():
    batch, member = BatchFactory(), UserFactory()
    BatchEnrollment.objects.create(batch=batch, member=member, source="api")
    with pytest.raises(IntegrityError) as raised, transaction.atomic():
        BatchEnrollment.objects.create(batch=batch, member=member, source="desk")
    assert violated_constraint(raised.value, ["other", "batch_enrollment_one_per_member"]) == (
        "batch_enrollment_one_per_member"
    )
    assert violated_constraint(raised.value, ["course_enrollment_one_per_member"]) is None


@pytest.mark.django_db
def test_rows_by_key_finds_the_rows_of_many_keys_in_one_statement(django_assert_num_queries):
    linked = UserFactory()
    EmployeeFactory(employee="E-1", user=linked)
    EmployeeFactory(employee="e-1x", user=None)
    EmployeeFactory(employee="Ümlaut 'quoted'", user=None)
    keys = ["E-1", "Ümlaut 'quoted'", *(f"missing-{i}" for i in range(3000))]
    with django_assert_num_queries(1):
        found = rows_by_key(Employee, "employee", keys, ("user_id",))
    assert sorted(found) == sorted([("E-1", linked.pk), ("Ümlaut 'quoted'", None)])
    assert rows_by_key(Employee, "employee", [], ("user_id",)) == []
