"""List filters of the desk that the admin does not have."""

from __future__ import annotations

import datetime as dt

from django.contrib import admin, messages
from django.contrib.admin.views.main import PAGE_VAR
from django.db import models


class DateRangeFilter(admin.FieldListFilter):
    """A from/to range of days on a date or date-time field (`<field>__gte`, `<field>__lte`, or
    `<field>__date__gte` ... for instants; both days inclusive),
    typed in two date inputs. A day that is not a date, or a range that ends before it starts, is
    named in a message and not applied."""

    template = "desk/filters/date_range.html"

    def __init__(self, field, request, params, model, model_admin, field_path):
        # Instants are compared by their day in the server's time zone.
        day = f"{field_path}__date" if isinstance(field, models.DateTimeField) else field_path
        self.lookup_since = f"{day}__gte"
        self.lookup_until = f"{day}__lte"
        super().__init__(field, request, params, model, model_admin, field_path)
        self.errors: list[str] = []
        self.since = self._day(self.lookup_since, "from")
        self.until = self._day(self.lookup_until, "to")
        if self.since and self.until and self.since > self.until:
            self.errors.append(
                f"{self.title.capitalize()}: the range ends ({self.until}) before it starts ({self.since})."
            )
            self.since = self.until = None
        self._reported = False

    def _day(self, lookup: str, bound: str) -> dt.date | None:
        values = self.used_parameters.get(lookup)
        text = (values[-1] if isinstance(values, list) else values or "").strip()
        if not text:
            return None
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            self.errors.append(f"{self.title.capitalize()} {bound}: {text} is not a date (use YYYY-MM-DD).")
            return None

    def expected_parameters(self) -> list[str]:
        return [self.lookup_since, self.lookup_until]

    def has_output(self) -> bool:
        return True

    def queryset(self, request, queryset):
        if self.errors and not self._reported:
            self._reported = True
            for error in self.errors:
                messages.error(request, error)
        if self.since:
            queryset = queryset.filter(**{self.lookup_since: self.since})
        if self.until:
            queryset = queryset.filter(**{self.lookup_until: self.until})
        return queryset

    def choices(self, changelist):
        ours = {self.lookup_since, self.lookup_until, PAGE_VAR}
        keep = [
            (name, value)
            for name, values in changelist.params.items()
            if name not in ours
            for value in (values if isinstance(values, list) else [values])
        ]
        yield {
            "since": self.since.isoformat() if self.since else "",
            "until": self.until.isoformat() if self.until else "",
            "hidden": keep,
            "active": bool(self.since or self.until),
            "clear_url": changelist.get_query_string(remove=[self.lookup_since, self.lookup_until]),
        }
