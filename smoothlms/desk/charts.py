"""Bar charts drawn on the server as SVG geometry (the templates write the elements): no
JavaScript, no chart library, nothing fetched from elsewhere."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class SeatBar:
    y: int
    label: str
    href: str
    used: int
    total: int | None
    fill_width: float
    tone: str  # ok | warn | full | open
    text: str


@dataclass(frozen=True)
class SeatChart:
    width: int
    height: int
    label_width: int
    bar_x: int
    bar_width: int
    row_height: int
    bars: list[SeatBar]


def seat_chart(rows: list[dict], *, width: int = 900, row_height: int = 30, label_width: int = 250) -> SeatChart:
    """One horizontal bar per cohort: seats used out of the seat count. Cohorts without a seat
    limit are drawn against the largest enrollment shown, in a neutral tone."""
    bar_x = label_width + 10
    bar_width = width - bar_x - 110
    largest_open = max([row["used"] for row in rows if row["total"] is None] or [1]) or 1
    bars = []
    for index, row in enumerate(rows):
        used, total = row["used"], row["total"]
        if total is None:
            share, tone, text = used / largest_open, "open", f"{used} / unlimited"
        else:
            share = used / total if total else 1.0
            tone = "full" if used >= total else "warn" if share >= 0.8 else "ok"
            text = f"{used} / {total}"
        label = row["title"] if len(row["title"]) <= 34 else row["title"][:33] + "…"
        bars.append(
            SeatBar(
                y=index * row_height,
                label=label,
                href=row["href"],
                used=used,
                total=total,
                fill_width=round(max(min(share, 1.0), 0.0) * bar_width, 1),
                tone=tone,
                text=text,
            )
        )
    return SeatChart(
        width=width,
        height=max(len(rows), 1) * row_height,
        label_width=label_width,
        bar_x=bar_x,
        bar_width=bar_width,
        row_height=row_height,
        bars=bars,
    )


@dataclass(frozen=True)
class DayColumn:
    x: float
    y: float
    width: float
    height: float
    day: dt.date
    count: int
    label: str  # axis label, every few days

    @property
    def center(self) -> float:
        return round(self.x + self.width / 2, 1)


@dataclass(frozen=True)
class DayChart:
    width: int
    height: int
    plot_top: int
    plot_bottom: int
    left: int
    columns: list[DayColumn]
    ticks: list[tuple[float, int]]  # (y, value) of the horizontal grid lines
    total: int


def _grid_step(largest: int) -> int:
    """A round step (1, 2 or 5 times a power of ten) such that four steps reach `largest`."""
    needed = max(largest, 1) / 4
    magnitude = 1
    while True:
        for factor in (1, 2, 5):
            if factor * magnitude >= needed:
                return factor * magnitude
        magnitude *= 10


def day_chart(per_day: list[tuple[dt.date, int]], *, width: int = 1100, height: int = 220) -> DayChart:
    """A column per day, with a grid of four steps up to a round maximum."""
    left, right, plot_top, plot_bottom = 40, 24, 10, height - 28
    step = _grid_step(max([count for _day, count in per_day] or [0]))
    top = step * 4
    slot = (width - left - right) / max(len(per_day), 1)
    columns = []
    for index, (day, count) in enumerate(per_day):
        column_height = (plot_bottom - plot_top) * count / top
        label = day.strftime("%d %b") if (len(per_day) - 1 - index) % 7 == 0 else ""
        columns.append(
            DayColumn(
                x=round(left + index * slot + slot * 0.15, 1),
                y=round(plot_bottom - column_height, 1),
                width=round(slot * 0.7, 1),
                height=round(column_height, 1),
                day=day,
                count=count,
                label=label,
            )
        )
    ticks = [(round(plot_bottom - (plot_bottom - plot_top) * i / 4, 1), step * i) for i in range(5)]
    return DayChart(
        width=width,
        height=height,
        plot_top=plot_top,
        plot_bottom=plot_bottom,
        left=left,
        columns=columns,
        ticks=ticks,
        total=sum(count for _day, count in per_day),
    )
