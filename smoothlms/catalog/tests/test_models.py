"""Cohort rules held by the database itself (every backend) and by model validation."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import DataError, IntegrityError, transaction

from smoothlms.catalog.errors import InvalidBatch
from smoothlms.catalog.models import Batch, BatchCourse
from smoothlms.catalog.services import create_batch, unique_name
from smoothlms.catalog.tests.factories import BatchFactory, CourseFactory

pytestmark = pytest.mark.django_db


def refused_by_database(**changes) -> bool:
    batch = BatchFactory()
    try:
        with transaction.atomic():
            Batch.objects.filter(pk=batch.pk).update(**changes)
    except (IntegrityError, DataError):  # DataError: MariaDB's UNSIGNED column refuses -1 itself
        return True
    return False


def test_database_refuses_negative_seat_count():
    assert refused_by_database(seat_count=-1)


def test_database_refuses_more_seats_taken_than_seats():
    assert refused_by_database(seat_count=2, seats_taken=3)
    assert not refused_by_database(seat_count=3, seats_taken=3)
    assert not refused_by_database(seat_count=None, seats_taken=300)


def test_database_refuses_end_before_start():
    assert refused_by_database(end_date=dt.date(2020, 1, 1), start_date=dt.date(2020, 1, 2))
    assert refused_by_database(
        start_date=dt.date(2020, 1, 1), end_date=dt.date(2020, 1, 1), start_time=dt.time(10), end_time=dt.time(9)
    )
    assert not refused_by_database(
        start_date=dt.date(2020, 1, 1), end_date=dt.date(2020, 1, 1), start_time=dt.time(9), end_time=dt.time(10)
    )


def test_database_refuses_paid_cohort_without_amount_or_currency():
    assert refused_by_database(paid_batch=True, amount=None, currency="EUR")
    assert refused_by_database(paid_batch=True, amount=Decimal("10"), currency="")
    assert not refused_by_database(paid_batch=True, amount=Decimal("10"), currency="EUR")


def test_database_refuses_duplicate_batch_name_and_course_link():
    batch = BatchFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Batch.objects.bulk_create(
            [
                Batch(
                    name=batch.name,
                    title="x",
                    start_date=batch.start_date,
                    start_time=batch.start_time,
                    end_date=batch.end_date,
                    end_time=batch.end_time,
                    timezone="UTC",
                )
            ]
        )
    course = CourseFactory()
    BatchCourse.objects.create(batch=batch, course=course)
    with pytest.raises(IntegrityError), transaction.atomic():
        BatchCourse.objects.create(batch=batch, course=course)


def batch_fields(**overrides):
    fields = dict(
        start_date=dt.date(2030, 3, 1),
        start_time=dt.time(9),
        end_date=dt.date(2030, 3, 5),
        end_time=dt.time(17),
        timezone="Asia/Kolkata",
    )
    return {**fields, **overrides}


def test_create_batch_names_by_slug_of_title():
    first = create_batch(title="Python Bootcamp", actor=None, **batch_fields())
    second = create_batch(title="Python Bootcamp", actor=None, **batch_fields())
    assert (first.name, second.name) == ("python-bootcamp", "python-bootcamp-2")
    assert unique_name(Batch, "Python  Bootcamp!") == "python-bootcamp-3"


def test_create_batch_refuses_end_before_start_with_frappes_message():
    with pytest.raises(InvalidBatch) as err:
        create_batch(title="Late", actor=None, **batch_fields(end_date=dt.date(2030, 2, 1)))
    assert "Batch end date cannot be before the batch start date." in err.value.user_message()
    assert err.value.params["fields"] == ["end_date"]
    assert not Batch.objects.exists()


def test_create_batch_refuses_unknown_time_zone_naming_the_field():
    with pytest.raises(InvalidBatch) as err:
        create_batch(title="Mars", actor=None, **batch_fields(timezone="Mars/Olympus"))
    assert err.value.params["fields"] == ["timezone"]
    assert "Mars/Olympus is not a valid IANA time zone" in err.value.user_message()


def test_create_batch_refuses_paid_without_amount():
    with pytest.raises(InvalidBatch) as err:
        create_batch(title="Paid", actor=None, paid_batch=True, **batch_fields())
    assert "Amount and currency are required for paid batches." in err.value.user_message()
    assert err.value.params["fields"] == ["amount", "currency"]


def test_start_is_read_in_the_cohorts_own_time_zone():
    batch = create_batch(title="Kolkata", actor=None, **batch_fields(start_date=dt.date(2030, 3, 1)))
    assert batch.starts_at == dt.datetime(2030, 3, 1, 3, 30, tzinfo=dt.UTC)
    assert not batch.has_started(at=dt.datetime(2030, 3, 1, 3, 29, tzinfo=dt.UTC))
    assert batch.has_started(at=dt.datetime(2030, 3, 1, 3, 31, tzinfo=dt.UTC))
