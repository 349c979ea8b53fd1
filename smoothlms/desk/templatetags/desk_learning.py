"""Learning on desk pages: the cohort page's progress heat table (`{% batch_progress %}`) and the
dashboard's course completions per week (`{% completions_per_week %}`)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django import template
from django.utils import timezone

from smoothlms.desk.admin.learning import batch_progress_context, heat_tone
from smoothlms.learning.selectors import count_completions_per_week

register = template.Library()
register.filter("heat_tone", heat_tone)


@register.inclusion_tag("desk/learning/_batch_progress.html", takes_context=True)
def batch_progress(context) -> dict:
    batch = context.get("original")
    if batch is None:
        return {"progress_table": None}
    return batch_progress_context(context["request"], batch)


@register.inclusion_tag("desk/learning/_completions.html", takes_context=True)
def completions_per_week(context, weeks: int = 12) -> dict:
    """/desk/learning: course completions per week (Monday to Sunday in the dashboard's zone)."""
    zone_name = context.get("zone") or ""
    zone = ZoneInfo(zone_name) if zone_name else timezone.get_current_timezone()
    rows = count_completions_per_week(weeks=weeks, zone=zone, now=timezone.now())
    largest = max([count for _week, count in rows] or [0]) or 1
    return {
        "weeks": [{"start": start, "count": count, "height": round(100 * count / largest)} for start, count in rows],
        "total": sum(count for _week, count in rows),
        "zone": str(zone),
    }
