"""Date arithmetic of certificates."""

from __future__ import annotations

import calendar
import datetime as dt


def add_months(day: dt.date, months: int) -> dt.date:
    """`day` plus `months` calendar months, kept inside the target month: 31 January + 1 month is
    28 (or, in a leap year, 29) February, and 29 February + 12 months is 28 February."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def human_date(day: dt.date | None) -> str:
    """As printed on a certificate: 31 January 2026 (English month names, whatever the locale)."""
    if day is None:
        return ""
    return f"{day.day} {calendar.month_name[day.month]} {day.year}"
