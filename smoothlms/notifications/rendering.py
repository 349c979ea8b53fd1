"""Email templates: the documented variables, the sandboxed engine that renders them, and the check
that runs when a template is saved so that a broken template is refused then, not at send time."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template import Context, Engine, TemplateDoesNotExist, TemplateSyntaxError
from django.template.base import FilterExpression, Node, VariableNode
from django.template.base import Variable as TemplateVariable
from django.template.defaulttags import ForNode, IfNode, WithNode

# An engine of its own: no template loaders (so no {% include %} or {% extends %} of site
# templates), no extra tag libraries, only Django's built-in tags and filters.
ENGINE = Engine(libraries={}, loaders=[])
# For the save-time check only: an unknown variable renders as this marker so we can name it.
_MARKER = "\x00unknown:%s\x00"
_CHECK_ENGINE = Engine(libraries={}, loaders=[], string_if_invalid=_MARKER)

DATETIME_FORMAT = "%A %d %B %Y, %H:%M"  # e.g. "Monday 02 March 2026, 09:00"


@dataclass(frozen=True)
class Variable:
    name: str
    help: str
    sample: Any
    empty: Any  # the value in the sparse sample (no courses, no live classes, ...)


_LIVE_CLASS_SAMPLE = {
    "title": "Kick-off", "starts_at": "Monday 02 March 2026, 10:00", "ends_at": "Monday 02 March 2026, 11:30",
    "timezone": "Asia/Kolkata", "join_url": "https://meet.example.com/kick-off",
}

VARIABLES: tuple[Variable, ...] = (
    Variable("member_name", "the learner's full name (their email when no name is set)", "Asha Rao", "a@example.com"),
    Variable("member_email", "the learner's email address", "asha@example.com", "a@example.com"),
    Variable("batch_title", "the cohort's title", "New Hire - Week 12", "Cohort"),
    Variable("batch_name", "the cohort's name, as in its URL", "new-hire-week-12", "cohort"),
    Variable("starts_at", "start, date and time in the cohort's time zone, e.g. Monday 02 March 2026, 09:00",
             "Monday 02 March 2026, 09:00", "Monday 02 March 2026, 09:00"),
    Variable("ends_at", "end, date and time in the cohort's time zone", "Friday 13 March 2026, 17:00",
             "Friday 13 March 2026, 17:00"),
    Variable("start_date", "start date, YYYY-MM-DD", "2026-03-02", "2026-03-02"),
    Variable("start_time", "start time, HH:MM, in the cohort's time zone", "09:00", "09:00"),
    Variable("end_date", "end date, YYYY-MM-DD", "2026-03-13", "2026-03-13"),
    Variable("end_time", "end time, HH:MM, in the cohort's time zone", "17:00", "17:00"),
    Variable("timezone", "the cohort's time zone, e.g. Asia/Kolkata", "Asia/Kolkata", "UTC"),
    Variable("timezone_abbreviation", "its abbreviation at the start, e.g. IST or CET", "IST", "UTC"),
    Variable("courses", "list of the cohort's course titles, in order", ["Onboarding", "Security basics"], []),
    Variable("live_classes", "list of live classes, each with title, starts_at, ends_at (in the cohort's "
             "time zone), timezone and join_url", [_LIVE_CLASS_SAMPLE], []),
    Variable("batch_url", "the cohort's page: {SITE_URL}/lms/batches/<name>",
             "https://lms.example.com/lms/batches/new-hire-week-12", "https://lms.example.com/lms/batches/c"),
    Variable("courses_url", "the learner's courses: {SITE_URL}/lms/courses", "https://lms.example.com/lms/courses",
             "https://lms.example.com/lms/courses"),
    Variable("timetable_url", "the learner's timetable: {SITE_URL}/lms/timetable",
             "https://lms.example.com/lms/timetable", "https://lms.example.com/lms/timetable"),
    Variable("site_url", "the site's address (SITE_URL)", "https://lms.example.com", "https://lms.example.com"),
)


def validate_template_source(source: str) -> None:
    """Refuse a template that cannot render: syntax errors, unknown tags or filters, unknown
    variables (also inside loops and conditions), and errors raised while rendering. It is
    rendered with a full sample and with a sparse one, so both branches of `{% if courses %}` run."""
    try:
        template = _CHECK_ENGINE.from_string(source)
    except TemplateSyntaxError as exc:
        raise ValidationError("Template error: %(error)s", code="template_syntax", params={"error": exc}) from exc
    unknown = _unbound_names(template.nodelist)
    for sample in (_sample_context(full=True), _sample_context(full=False)):
        try:
            output = template.render(Context(sample, autoescape=False))
        except (TemplateSyntaxError, TemplateDoesNotExist) as exc:
            raise ValidationError("Template error: %(error)s", code="template_syntax",
                                  params={"error": exc}) from exc
        except Exception as exc:  # noqa: BLE001 - any rendering failure must refuse the template
            raise ValidationError("Template error while rendering: %(error)s", code="template_render",
                                  params={"error": f"{type(exc).__name__}: {exc}"}) from exc
        unknown.update(_unknown_names(output))
        if "{{" in output or "{%" in output:
            raise ValidationError("Template error: an unclosed or stray {{ or {% is left in the text.",
                                  code="template_syntax")
    if unknown:
        known = ", ".join(variable.name for variable in VARIABLES)
        raise ValidationError(
            "Unknown variable %(names)s. Available: %(known)s.", code="template_variable",
            params={"names": ", ".join(sorted(unknown)), "known": known},
        )


def _unbound_names(nodelist) -> set[str]:
    """Variable names the template reads that are neither documented nor bound by its own
    {% for %} or {% with %}: catches `{% if typo %}`, which renders silently as false."""
    used: set[str] = set()
    bound = {"forloop", "block"}
    for node in nodelist.get_nodes_by_type(Node):
        expressions: list[FilterExpression] = []
        if isinstance(node, VariableNode):
            expressions.append(node.filter_expression)
        elif isinstance(node, IfNode):
            for condition, _ in node.conditions_nodelists:
                expressions.extend(_condition_expressions(condition))
        elif isinstance(node, ForNode):
            expressions.append(node.sequence)
            bound.update(node.loopvars)
        elif isinstance(node, WithNode):
            expressions.extend(node.extra_context.values())
            bound.update(node.extra_context)
        for expression in expressions:
            used.update(_roots(expression))
    return used - bound - {variable.name for variable in VARIABLES}


def _condition_expressions(condition) -> list[FilterExpression]:
    if condition is None:  # the {% else %} branch
        return []
    if isinstance(getattr(condition, "value", None), FilterExpression):
        return [condition.value]
    return _condition_expressions(getattr(condition, "first", None)) + _condition_expressions(
        getattr(condition, "second", None))


def _roots(expression: FilterExpression) -> set[str]:
    candidates = [expression.var] + [arg for _, args in expression.filters for _, arg in args]
    return {candidate.lookups[0] for candidate in candidates
            if isinstance(candidate, TemplateVariable) and candidate.lookups}


def _sample_context(*, full: bool) -> dict[str, Any]:
    return {variable.name: variable.sample if full else variable.empty for variable in VARIABLES}


def _unknown_names(output: str) -> set[str]:
    names = set()
    prefix, suffix = _MARKER.split("%s")
    start = output.find(prefix)
    while start != -1:
        end = output.find(suffix, start + len(prefix))
        if end == -1:
            break
        names.add(output[start + len(prefix):end])
        start = output.find(prefix, end + len(suffix))
    return names


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def render_email(template, context: dict[str, Any]) -> RenderedEmail:
    """Render an EmailTemplate. Subject and plain text are not HTML-escaped; the HTML body is. The
    subject is folded onto one line (a header cannot carry a line break)."""
    plain = Context(context, autoescape=False)
    subject = " ".join(ENGINE.from_string(template.subject).render(plain).split())
    text = ENGINE.from_string(template.body_text).render(plain)
    html = ENGINE.from_string(template.body_html).render(Context(context)) if template.body_html.strip() else ""
    return RenderedEmail(subject=subject, text=text, html=html)


def format_local(instant: dt.datetime, zone: str) -> str:
    return instant.astimezone(ZoneInfo(zone)).strftime(DATETIME_FORMAT)


def batch_context(batch, *, courses: list[str], live_classes: list) -> dict[str, Any]:
    """The variables that depend on the cohort only (computed once per cohort per task)."""
    zone = batch.timezone
    starts_at, ends_at = batch.starts_at, batch.ends_at
    return {
        "batch_title": batch.title,
        "batch_name": batch.name,
        "starts_at": format_local(starts_at, zone),
        "ends_at": format_local(ends_at, zone),
        "start_date": batch.start_date.isoformat(),
        "start_time": batch.start_time.strftime("%H:%M"),
        "end_date": batch.end_date.isoformat(),
        "end_time": batch.end_time.strftime("%H:%M"),
        "timezone": zone,
        "timezone_abbreviation": starts_at.tzname() or zone,
        "courses": courses,
        "live_classes": [
            {"title": live_class.title, "starts_at": format_local(live_class.starts_at, zone),
             "ends_at": format_local(live_class.ends_at, zone), "timezone": zone, "join_url": live_class.join_url}
            for live_class in live_classes
        ],
        "batch_url": f"{settings.SITE_URL}/lms/batches/{batch.name}",
        "courses_url": f"{settings.SITE_URL}/lms/courses",
        "timetable_url": f"{settings.SITE_URL}/lms/timetable",
        "site_url": settings.SITE_URL,
    }


def member_context(member) -> dict[str, Any]:
    return {"member_name": member.display_name, "member_email": member.email}
