"""Seat labels and times in two zones: the cohort's (named) and the learner's own."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django import template

from smoothlms.catalog.models import Batch
from smoothlms.core.timeutil import is_valid_time_zone

register = template.Library()

UTC = dt.UTC


@register.filter
def seat_label(batch: Batch) -> str:
    """CONTRACT.md section 4: `N Seats Left`, `1 Seat Left`, `Sold Out`; unlimited cohorts have open seats."""
    left = getattr(batch, "seats_left_value", batch.seats_left) if batch.seat_count is not None else None
    if left is None:
        return "Open seats"
    left = max(left, 0)
    if left == 0:
        return "Sold Out"
    if left == 1:
        return "1 Seat Left"
    return f"{left} Seats Left"


@register.filter
def seat_tone(batch: Batch) -> str:
    label = seat_label(batch)
    return "err" if label == "Sold Out" else "warn" if label == "1 Seat Left" else "ok"


def format_local(instant: dt.datetime, zone: str) -> str:
    """`Mon 30 Mar 2026, 09:00`: unambiguous in every locale, 24-hour clock."""
    local = instant.astimezone(ZoneInfo(zone))
    return f"{local:%a} {local.day} {local:%b %Y, %H:%M}"


def format_range(start: dt.datetime, end: dt.datetime, zone: str) -> str:
    local_start, local_end = start.astimezone(ZoneInfo(zone)), end.astimezone(ZoneInfo(zone))
    if local_start.date() == local_end.date():
        return f"{format_local(start, zone)}–{local_end:%H:%M}"
    return f"{format_local(start, zone)} – {format_local(end, zone)}"


@register.inclusion_tag("portal/_when.html", takes_context=True)
def when(context, start: dt.datetime, zone: str, end: dt.datetime | None = None) -> dict:
    """An instant (or a range) in `zone`, with the zone named, and beside it the learner's own time:
    from their profile when set, otherwise from the browser (static/smoothlms/localtime.js fills
    the element carrying data-start)."""
    user = context.get("user")
    mine = getattr(user, "time_zone", "") or ""
    if mine and not is_valid_time_zone(mine):
        mine = ""
    text = format_range(start, end, zone) if end else format_local(start, zone)
    own = ""
    if mine and mine != zone:
        own = format_range(start, end, mine) if end else format_local(start, mine)
    return {
        "iso": start.astimezone(ZoneInfo(zone)).isoformat(),
        "start_utc": start.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "end_utc": end.astimezone(UTC).isoformat().replace("+00:00", "Z") if end else "",
        "text": text,
        "zone": zone,
        "own": own,
        "own_zone": mine,
        "browser": not mine,
    }
