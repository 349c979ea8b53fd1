"""The timetable feed: valid iCalendar, stable UIDs, SEQUENCE on moves, right instants across DST."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone
from icalendar import Calendar

from smoothlms.catalog.services import update_live_class
from smoothlms.catalog.tests.factories import BatchFactory, LiveClassFactory
from smoothlms.enrollment.models import Source
from smoothlms.enrollment.services import cancel_enrollment, enroll
from smoothlms.people.services import ensure_calendar_token, set_user_enabled
from smoothlms.people.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

UTC = dt.UTC


def last_sunday_of_march(year: int) -> dt.date:
    march_31 = dt.date(year, 3, 31)
    return march_31 - dt.timedelta(days=(march_31.weekday() + 1) % 7)


@pytest.fixture
def dst_day() -> dt.date:
    """The next last Sunday of March (Europe's switch to summer time) that is still ahead."""
    year = timezone.localdate().year + 1
    return last_sunday_of_march(year)


@pytest.fixture
def berlin_cohort(learner, dst_day):
    cohort = BatchFactory(
        name="berlin",
        title="Berlin cohort",
        timezone="Europe/Berlin",
        start_date=dst_day - dt.timedelta(days=3),
        end_date=dst_day + dt.timedelta(days=3),
    )
    enroll(batch=cohort, member=learner, actor=learner, source=Source.PORTAL)
    return cohort


def parse(response) -> Calendar:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return Calendar.from_ical(response.content)


def events_by_uid(calendar: Calendar) -> dict:
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


def test_feed_parses_with_uid_tzid_sequence_and_dtstamp(signed_in, berlin_cohort, dst_day):
    live_class = LiveClassFactory(
        batch=berlin_cohort,
        title="Kick-off",
        date=dst_day,
        time=dt.time(10),
        duration=45,
        join_url="https://meet.example.com/kick-off",
    )
    calendar = parse(signed_in.get("/lms/timetable.ics"))
    assert calendar["VERSION"] == "2.0" and "Smooth LMS" in str(calendar["PRODID"])
    event = events_by_uid(calendar)[f"liveclass-{live_class.pk}@testserver"]
    assert str(event["SUMMARY"]) == "Kick-off (Berlin cohort)"
    assert event["DTSTART"].params["TZID"] == "Europe/Berlin"
    assert event["DTEND"].params["TZID"] == "Europe/Berlin"
    assert event["SEQUENCE"] == 0
    assert event.decoded("DTSTAMP").tzinfo is not None
    assert str(event["URL"]) == "https://meet.example.com/kick-off"
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Europe/Berlin"]
    assert b"DTSTART;TZID=Europe/Berlin:" in signed_in.get("/lms/timetable.ics").content


def test_feed_times_round_trip_to_the_right_instant_across_a_dst_change(signed_in, berlin_cohort, dst_day):
    before = LiveClassFactory(
        batch=berlin_cohort, title="Winter time", date=dst_day - dt.timedelta(days=1), time=dt.time(10), duration=60
    )
    after = LiveClassFactory(
        batch=berlin_cohort, title="Summer time", date=dst_day + dt.timedelta(days=1), time=dt.time(10), duration=60
    )
    calendar = parse(signed_in.get("/lms/timetable.ics"))
    events = events_by_uid(calendar)
    winter, summer = events[f"liveclass-{before.pk}@testserver"], events[f"liveclass-{after.pk}@testserver"]
    # 10:00 in Berlin is 09:00 UTC in winter time (UTC+1) and 08:00 UTC in summer time (UTC+2).
    expected_winter = dt.datetime.combine(dst_day - dt.timedelta(days=1), dt.time(9), tzinfo=UTC)
    expected_summer = dt.datetime.combine(dst_day + dt.timedelta(days=1), dt.time(8), tzinfo=UTC)
    assert winter.decoded("DTSTART").astimezone(UTC) == expected_winter
    assert winter.decoded("DTEND").astimezone(UTC) == expected_winter + dt.timedelta(hours=1)
    assert summer.decoded("DTSTART").astimezone(UTC) == expected_summer
    # The VTIMEZONE itself (what calendar apps use, not our tz database) gives the same instants.
    vtimezone_tz = calendar.walk("VTIMEZONE")[0].to_tz()
    for event, expected in [(winter, expected_winter), (summer, expected_summer)]:
        wall_clock = event.decoded("DTSTART").replace(tzinfo=None)
        assert wall_clock.replace(tzinfo=vtimezone_tz).astimezone(UTC) == expected
    zone = ZoneInfo("Europe/Berlin")
    assert winter.decoded("DTSTART").astimezone(zone).hour == summer.decoded("DTSTART").astimezone(zone).hour == 10


def test_moving_a_class_raises_sequence_and_keeps_the_uid(signed_in, berlin_cohort, dst_day):
    live_class = LiveClassFactory(batch=berlin_cohort, date=dst_day, time=dt.time(10))
    uid = f"liveclass-{live_class.pk}@testserver"
    update_live_class(live_class=live_class, actor=None, title="Renamed only")
    assert events_by_uid(parse(signed_in.get("/lms/timetable.ics")))[uid]["SEQUENCE"] == 0
    update_live_class(live_class=live_class, actor=None, time=dt.time(14))
    event = events_by_uid(parse(signed_in.get("/lms/timetable.ics")))[uid]
    assert event["SEQUENCE"] == 1
    assert event.decoded("DTSTART").astimezone(ZoneInfo("Europe/Berlin")).hour == 14


def test_feed_holds_only_the_learners_active_cohorts(signed_in, learner, berlin_cohort, dst_day):
    mine = LiveClassFactory(batch=berlin_cohort, date=dst_day)
    not_mine = LiveClassFactory()
    dropped = BatchFactory()
    enroll(batch=dropped, member=learner, actor=learner, source=Source.PORTAL)
    cancel_enrollment(batch=dropped, member=learner, actor=None)
    cancelled = LiveClassFactory(batch=dropped)
    uids = set(events_by_uid(parse(signed_in.get("/lms/timetable.ics"))))
    assert f"liveclass-{mine.pk}@testserver" in uids
    assert f"liveclass-{not_mine.pk}@testserver" not in uids
    assert f"liveclass-{cancelled.pk}@testserver" not in uids


def test_private_token_url_serves_the_feed_without_a_session(learner, berlin_cohort, dst_day):
    live_class = LiveClassFactory(batch=berlin_cohort, date=dst_day)
    token = ensure_calendar_token(user=learner)
    calendar = parse(Client().get(f"/lms/timetable/{token}.ics"))
    assert f"liveclass-{live_class.pk}@testserver" in events_by_uid(calendar)


def test_an_unknown_token_is_404(db):
    UserFactory()
    assert Client().get("/lms/timetable/not-a-real-token.ics").status_code == 404


def test_a_disabled_users_token_is_404(learner, berlin_cohort):
    token = ensure_calendar_token(user=learner)
    set_user_enabled(user=learner, enabled=False, actor=None, reason="left")
    assert Client().get(f"/lms/timetable/{token}.ics").status_code == 404


def test_the_token_is_stable_between_visits(signed_in, learner):
    signed_in.get("/lms/timetable")
    learner.refresh_from_db()
    first = learner.calendar_token
    signed_in.get("/lms/timetable")
    learner.refresh_from_db()
    assert first and learner.calendar_token == first


def test_feed_with_no_classes_is_still_a_valid_calendar(signed_in):
    calendar = parse(signed_in.get("/lms/timetable.ics"))
    assert calendar.walk("VEVENT") == []


def test_feed_runs_a_constant_number_of_queries(signed_in, learner, berlin_cohort, dst_day, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    LiveClassFactory(batch=berlin_cohort, date=dst_day)
    with CaptureQueriesContext(connection) as baseline:
        signed_in.get("/lms/timetable.ics")
    for cohort in BatchFactory.create_batch(3):
        enroll(batch=cohort, member=learner, actor=learner, source=Source.PORTAL)
        LiveClassFactory.create_batch(4, batch=cohort)
    with django_assert_num_queries(len(baseline.captured_queries)):
        signed_in.get("/lms/timetable.ics")
