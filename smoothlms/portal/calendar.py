"""The learner's timetable as an iCalendar feed (RFC 5545) that calendar apps can subscribe to."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from icalendar import Calendar, vDuration

from smoothlms.catalog.models import LiveClass
from smoothlms.notifications.ics import add_time_zones, live_class_event, new_calendar

REFRESH = dt.timedelta(hours=1)


def build_timetable_calendar(live_classes: Iterable[LiveClass], *, name: str) -> Calendar:
    """One VEVENT per live class (the same events as the confirmation's invitation, so a calendar
    holding both keeps one of each), with a VTIMEZONE for each zone used."""
    calendar = new_calendar("Timetable")
    calendar.add("x-wr-calname", name)
    # How often subscribed calendar apps should fetch again (RFC 7986, and Outlook's older name).
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(REFRESH))
    days = []
    for live_class in live_classes:
        days.append(live_class.date)
        calendar.add_component(live_class_event(live_class, batch_title=live_class.batch.title))
    add_time_zones(calendar, days)
    return calendar
