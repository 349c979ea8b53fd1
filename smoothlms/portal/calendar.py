"""The learner's timetable as an iCalendar feed (RFC 5545) that calendar apps can subscribe to."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from django.conf import settings
from icalendar import Calendar, Event, Timezone, vDuration

from smoothlms.catalog.models import LiveClass

REFRESH = dt.timedelta(hours=1)


def feed_host() -> str:
    """The host in every UID: from SITE_URL, not from the request, so a UID never changes with the
    name a calendar app happens to use to reach us."""
    return urlsplit(settings.SITE_URL).hostname or "smoothlms"


def live_class_uid(live_class: LiveClass) -> str:
    return f"liveclass-{live_class.pk}@{feed_host()}"


def build_timetable_calendar(live_classes: Iterable[LiveClass], *, name: str) -> Calendar:
    """One VEVENT per live class, with DTSTART/DTEND in the class's own zone (TZID) and a VTIMEZONE
    for each zone used, so every client computes the same instant on both sides of a DST change.
    SEQUENCE is the class's `sequence` (raised when it moves); the UID never changes."""
    calendar = Calendar()
    calendar.add("prodid", "-//Smooth LMS//Timetable//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    # How often subscribed calendar apps should fetch again (RFC 7986, and Outlook's older name).
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(REFRESH))
    days = []
    for live_class in live_classes:
        days.append(live_class.date)
        zone = ZoneInfo(live_class.timezone)
        event = Event()
        event.add("uid", live_class_uid(live_class))
        event.add("summary", f"{live_class.title} ({live_class.batch.title})")
        event.add("dtstart", live_class.starts_at.astimezone(zone))
        event.add("dtend", live_class.ends_at.astimezone(zone))
        event.add("sequence", live_class.sequence)
        # DTSTAMP of a published feed is when the event's data last changed: a feed fetched twice
        # without changes is byte-for-byte the same.
        event.add("dtstamp", live_class.updated_at.astimezone(dt.UTC))
        event.add("last-modified", live_class.updated_at.astimezone(dt.UTC))
        description = "\n\n".join(part for part in (live_class.description.strip(), live_class.join_url) if part)
        if description:
            event.add("description", description)
        if live_class.join_url:
            event.add("url", live_class.join_url)
            event.add("location", live_class.join_url)
        calendar.add_component(event)
    if days:
        # A VTIMEZONE covering the classes (a year either side), in a stable order: identical data
        # gives an identical feed.
        first, last = min(days) - dt.timedelta(days=366), max(days) + dt.timedelta(days=366)
        for position, tzid in enumerate(sorted(calendar.get_missing_tzids())):
            calendar.subcomponents.insert(position, Timezone.from_tzid(tzid, first_date=first, last_date=last))
    return calendar
