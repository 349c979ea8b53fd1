"""catalog.services.schedule_live_class / update_live_class: validation and SEQUENCE on moves."""

from __future__ import annotations

import datetime as dt

import pytest

from smoothlms.catalog.errors import InvalidBatch
from smoothlms.catalog.models import LiveClass
from smoothlms.catalog.services import schedule_live_class, update_live_class
from smoothlms.catalog.tests.factories import BatchFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def cohort():
    return BatchFactory(timezone="Asia/Kolkata")


def test_schedule_live_class_defaults_to_the_cohorts_zone(cohort):
    live_class = schedule_live_class(
        batch=cohort, title="Kick-off", date=cohort.start_date, time=dt.time(10), duration=45, actor=None
    )
    assert live_class.timezone == "Asia/Kolkata" and live_class.sequence == 0
    assert LiveClass.objects.get(pk=live_class.pk).duration == 45


def test_schedule_live_class_refuses_a_bad_zone_and_a_zero_duration(cohort):
    with pytest.raises(InvalidBatch) as caught:
        schedule_live_class(
            batch=cohort,
            title="x",
            date=cohort.start_date,
            time=dt.time(10),
            duration=0,
            timezone="Nowhere/Land",
            actor=None,
        )
    assert caught.value.params["fields"] == ["duration", "timezone"]
    assert not LiveClass.objects.exists()


@pytest.mark.parametrize(
    "change",
    [
        {"date": "2031-05-02"},
        {"time": "11:30"},
        {"duration": 120},
        {"timezone": "Europe/Berlin"},
    ],
)
def test_update_live_class_raises_sequence_when_the_class_moves(cohort, change):
    live_class = schedule_live_class(
        batch=cohort, title="Kick-off", date=dt.date(2031, 5, 1), time=dt.time(10), actor=None
    )
    update_live_class(live_class=live_class, actor=None, **change)
    assert LiveClass.objects.get(pk=live_class.pk).sequence == 1 == live_class.sequence


def test_update_live_class_keeps_sequence_when_nothing_moves(cohort):
    live_class = schedule_live_class(
        batch=cohort, title="Kick-off", date=dt.date(2031, 5, 1), time=dt.time(10), actor=None
    )
    update_live_class(live_class=live_class, actor=None, title="Kick-off call", date="2031-05-01", time="10:00")
    stored = LiveClass.objects.get(pk=live_class.pk)
    assert stored.sequence == 0 and stored.title == "Kick-off call"


def test_update_live_class_refuses_invalid_changes_and_changes_nothing(cohort):
    live_class = schedule_live_class(
        batch=cohort, title="Kick-off", date=dt.date(2031, 5, 1), time=dt.time(10), actor=None
    )
    with pytest.raises(InvalidBatch):
        update_live_class(live_class=live_class, actor=None, time="25:99")
    with pytest.raises(InvalidBatch):
        update_live_class(live_class=live_class, actor=None, sequence=7)
    stored = LiveClass.objects.get(pk=live_class.pk)
    assert stored.time == dt.time(10) and stored.sequence == 0
