"""The calendar invitation attached to confirmations and reminders (RFC 5545, METHOD:PUBLISH), and
its cancellation (METHOD:CANCEL, the same UIDs) attached to cancellation emails."""

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


def live_class_event(live_class: LiveClass, *, batch_title: str, links: Sequence[str] = ()) -> Event:
    """The VEVENT of one live class, the same in the invitation and in the timetable feed: the
    class's own zone as TZID, a stable UID and SEQUENCE raised when it moves; DTSTAMP is when the
    class last changed, so a feed fetched twice without changes is byte-for-byte the same."""
    zone = ZoneInfo(live_class.timezone)
    description = "\n\n".join(part for part in (live_class.description.strip(), live_class.join_url, *links) if part)
    event = _event(
        uid=live_class_uid(live_class),
        summary=f"{live_class.title} ({batch_title})",
        start=live_class.starts_at.astimezone(zone),
        end=live_class.ends_at.astimezone(zone),
        sequence=live_class.sequence,
        stamp=live_class.updated_at,
        description=description,
        url=live_class.join_url or (links[0] if links else ""),
    )
    event.add("last-modified", live_class.updated_at.astimezone(dt.UTC))
    if live_class.join_url:
        event.add("location", live_class.join_url)
    return event


def add_time_zones(calendar: Calendar, days: Sequence[dt.date]) -> None:
    """A VTIMEZONE for each zone the events use, covering a year either side of them (not a
    zone's whole history), in a stable order: identical data gives an identical file."""
    if days:
        calendar.add_missing_timezones(
            first_date=min(days) - dt.timedelta(days=366), last_date=max(days) + dt.timedelta(days=366)
        )


def new_calendar(product: str, *, method: str = "PUBLISH") -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", f"-//Smooth LMS//{product}//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    return calendar


def build_batch_invitation(batch: Batch, live_classes: Sequence[LiveClass]) -> bytes:
    """One event per live class, or, when the cohort has none, one event from its start to its
    end. DTSTART/DTEND carry the TZID of their zone, with a VTIMEZONE for each zone used, so every
    client computes the same instant on both sides of a DST change. UIDs are stable."""
    calendar = new_calendar("Cohort invitation")
    batch_url = f"{settings.SITE_URL}/lms/batches/{batch.name}"
    if live_classes:
        for live_class in live_classes:
            calendar.add_component(live_class_event(live_class, batch_title=batch.title, links=[batch_url]))
    else:
        zone = ZoneInfo(batch.timezone)
        calendar.add_component(
            _event(
                uid=batch_uid(batch),
                summary=batch.title,
                start=batch.starts_at.astimezone(zone),
                end=batch.ends_at.astimezone(zone),
                sequence=0,
                stamp=batch.updated_at,
                description=f"{batch.description.strip()}\n\n{batch_url}".strip(),
                url=batch_url,
            )
        )
    add_time_zones(calendar, [live_class.date for live_class in live_classes] or [batch.start_date, batch.end_date])
    return calendar.to_ical()


def build_batch_cancellation(batch: Batch, live_classes: Sequence[LiveClass]) -> bytes:
    """The invitation's events withdrawn: METHOD:CANCEL, each with the UID of the invitation's event
    (a live class's, or the cohort's own when it has none), STATUS:CANCELLED and a SEQUENCE one above
    the invitation's, so a calendar that holds them removes them."""
    calendar = new_calendar("Cohort cancellation", method="CANCEL")
    invitation = Calendar.from_ical(build_batch_invitation(batch, live_classes))
    for component in invitation.walk():
        if component.name == "VTIMEZONE":
            calendar.add_component(component)
        elif component.name == "VEVENT":
            component["sequence"] = int(component.get("sequence", 0)) + 1
            component.add("status", "CANCELLED")
            calendar.add_component(component)
    return calendar.to_ical()


def _event(
    *,
    uid: str,
    summary: str,
    start: dt.datetime,
    end: dt.datetime,
    sequence: int,
    stamp: dt.datetime,
    description: str,
    url: str,
) -> Event:
    event = Event()
    event.add("uid", uid)
    event.add("summary", summary)
    event.add("dtstart", start)
    event.add("dtend", end)
    event.add("sequence", sequence)
    event.add("dtstamp", stamp.astimezone(dt.UTC))
    if description:
        event.add("description", description)
    if url:
        event.add("url", url)
    return event
