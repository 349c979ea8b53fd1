"""The calendar invitation attached to confirmations and reminders (RFC 5545, METHOD:PUBLISH)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from django.conf import settings
from icalendar import Calendar, Event

from smoothlms.catalog.models import Batch, LiveClass


def calendar_host() -> str:
    """The host in every UID: from SITE_URL, so a UID never changes with how we are reached."""
    return urlsplit(settings.SITE_URL).hostname or "smoothlms"


def live_class_uid(live_class: LiveClass) -> str:
    # The same UID as the learner's timetable feed (/lms/timetable.ics): a calendar that has both
    # keeps one event, and a moved class updates in place (SEQUENCE).
    return f"liveclass-{live_class.pk}@{calendar_host()}"


def batch_uid(batch: Batch) -> str:
    return f"batch-{batch.pk}@{calendar_host()}"


def build_batch_invitation(batch: Batch, live_classes: Sequence[LiveClass]) -> bytes:
    """One event per live class, or, when the cohort has none, one event from its start to its
    end. DTSTART/DTEND carry the TZID of their zone, with a VTIMEZONE for each zone used, so every
    client computes the same instant on both sides of a DST change. UIDs are stable."""
    calendar = Calendar()
    calendar.add("prodid", "-//Smooth LMS//Cohort invitation//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    batch_url = f"{settings.SITE_URL}/lms/batches/{batch.name}"
    if live_classes:
        for live_class in live_classes:
            zone = ZoneInfo(live_class.timezone)
            description = "\n\n".join(part for part in (live_class.description.strip(), live_class.join_url,
                                                         batch_url) if part)
            calendar.add_component(_event(
                uid=live_class_uid(live_class), summary=f"{live_class.title} ({batch.title})",
                start=live_class.starts_at.astimezone(zone), end=live_class.ends_at.astimezone(zone),
                sequence=live_class.sequence, stamp=live_class.updated_at, description=description,
                url=live_class.join_url or batch_url,
            ))
    else:
        zone = ZoneInfo(batch.timezone)
        calendar.add_component(_event(
            uid=batch_uid(batch), summary=batch.title, start=batch.starts_at.astimezone(zone),
            end=batch.ends_at.astimezone(zone), sequence=0, stamp=batch.updated_at,
            description=f"{batch.description.strip()}\n\n{batch_url}".strip(), url=batch_url,
        ))
    # Transitions for the year around the events only: an attachment, not a whole zone history.
    days = [live_class.date for live_class in live_classes] or [batch.start_date, batch.end_date]
    calendar.add_missing_timezones(first_date=min(days) - dt.timedelta(days=366),
                                   last_date=max(days) + dt.timedelta(days=366))
    return calendar.to_ical()


def _event(*, uid: str, summary: str, start: dt.datetime, end: dt.datetime, sequence: int, stamp: dt.datetime,
           description: str, url: str) -> Event:
    event = Event()
    event.add("uid", uid)
    event.add("summary", summary)
    event.add("dtstart", start)
    event.add("dtend", end)
    event.add("sequence", sequence)
    event.add("dtstamp", stamp.astimezone(dt.UTC))
    if description:
        event.add("description", description)
    event.add("url", url)
    return event
