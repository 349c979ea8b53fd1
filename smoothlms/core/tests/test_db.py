"""core.db.instance_from_row: a row read on a raw cursor becomes the instance the ORM would load."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection

from smoothlms.catalog.models import Batch
from smoothlms.catalog.tests.factories import BatchFactory
from smoothlms.core.db import instance_from_row


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
