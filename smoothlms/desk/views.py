"""/desk/learning: the learning dashboard (staff roles only). A fixed number of queries whatever
the number of cohorts and enrollments: every figure is aggregated in SQL by a selector."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone

from smoothlms.desk import charts
from smoothlms.desk.addresses import record_key
from smoothlms.desk.pages import render_desk
from smoothlms.enrollment.selectors import (
    count_batch_totals,
    count_enrollments_per_day,
    list_dashboard_batches,
)
from smoothlms.hr.selectors import get_hr_sync_status
from smoothlms.notifications.selectors import get_email_queue_health
from smoothlms.people.roles import can_read_training
from smoothlms.training.selectors import list_overdue_assignments

COHORTS_PER_PAGE = 20
OVERDUE_SHOWN = 8


def _zone(request: HttpRequest):
    name = getattr(request.user, "time_zone", "") or ""
    return ZoneInfo(name) if name else timezone.get_current_timezone()


def _cohort_row(batch, now: dt.datetime) -> dict:
    zone = ZoneInfo(batch.timezone)
    local_today = now.astimezone(zone).date()
    if batch.has_ended(at=now):
        state = "ended"
    elif batch.has_started(at=now):
        state = "running"
    else:
        state = "upcoming"
    return {
        "batch": batch,
        "title": batch.title,
        "href": reverse("admin:catalog_batch_change", args=[record_key(batch)]),
        "used": batch.seats_taken,
        "total": batch.seat_count,
        "left": batch.seats_left_value,
        "state": state,
        "days_to_start": (batch.start_date - local_today).days,
    }


def dashboard(request: HttpRequest) -> HttpResponse:
    zone = _zone(request)
    now = timezone.now()
    today = now.astimezone(zone).date()
    show_all = request.GET.get("show") == "all"
    page = Paginator(list_dashboard_batches(today=today, include_ended=show_all), COHORTS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    rows = [_cohort_row(batch, now) for batch in page.object_list]
    per_day = count_enrollments_per_day(days=30, zone=zone, now=now)
    overdue = list_overdue_assignments(today=today)
    may_read_training = can_read_training(request.user)  # learners' names: only to roles that read them
    return render_desk(
        request,
        "desk/dashboard.html",
        {
            "rows": rows,
            "page": page,
            "show_all": show_all,
            "seat_chart": charts.seat_chart(rows),
            "day_chart": charts.day_chart(per_day),
            "emails": get_email_queue_health(),
            "hr_sync": get_hr_sync_status(),
            "totals": count_batch_totals(),
            "overdue_count": overdue.count(),
            "overdue": list(overdue[:OVERDUE_SHOWN]) if may_read_training else [],
            "may_read_training": may_read_training,
            "today": today,
            "zone": str(zone),
            "now": now.astimezone(zone),
            "desk_section": "dashboard",
        },
        title="Learning dashboard",
    )
