"""Time helpers: every instant is aware; local times belong to a named IANA zone."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from django.core.exceptions import ValidationError
from django.utils import timezone


def is_valid_time_zone(name: str) -> bool:
    if not name or name != name.strip():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def validate_time_zone(value: str) -> None:
    if not is_valid_time_zone(value):
        raise ValidationError(
            "%(value)s is not a valid IANA time zone (for example Europe/Berlin).",
            code="invalid_time_zone",
            params={"value": value},
        )


def local_instant(day: dt.date, time: dt.time, zone: str) -> dt.datetime:
    """The aware instant of a wall-clock `day` + `time` in `zone` (fold=0 for repeated hours)."""
    return dt.datetime.combine(day, time).replace(tzinfo=ZoneInfo(zone))


def time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in sorted(available_timezones()) if "/" in name or name == "UTC"]


def day_start(day: dt.date) -> dt.datetime:
    """The first instant of `day` in the server's time zone."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min), timezone.get_current_timezone())


def iso_seconds(value: object) -> object:
    """An instant as ISO 8601 with its offset, to the second (for exports); anything else as it is."""
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="seconds")
    return value
