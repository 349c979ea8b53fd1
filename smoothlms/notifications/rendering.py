"""Email templates: the documented variables, the sandboxed engine that renders them, and the check
that runs when a template is saved so that a broken template is refused then, not at send time."""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template import Context, Engine, Library, Template, TemplateDoesNotExist, TemplateSyntaxError
from django.template.base import FilterExpression, Node, NodeList, VariableNode
from django.template.base import Variable as TemplateVariable
from django.template.defaulttags import DebugNode, ForNode, IfNode, LoremNode, WithNode

from smoothlms.notifications.errors import TemplateLimitExceeded

# Bounds that keep one template from allocating gigabytes or running for minutes.
MAX_LOREM = 20  # {% lorem N %}: words or paragraphs
MAX_FILTER_NUMBER = 1000  # a number given to a filter that pads, truncates or formats (ljust:1000)
NUMERIC_FILTERS = frozenset(
    {
        "ljust",
        "rjust",
        "center",
        "truncatechars",
        "truncatechars_html",
        "truncatewords",
        "truncatewords_html",
        "wordwrap",
        "floatformat",
        "stringformat",
        "urlizetrunc",
    }
)
MAX_SOURCE_CHARS = 100_000  # a template's own text
MAX_RENDER_CHARS = 200_000  # what one render may produce (loops included), and what one filter may return
_NUMBER = re.compile(r"\d+")


def _bounded_filter(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    """`func` refusing numbers past MAX_FILTER_NUMBER (a variable's value too, so checked when called)
    and results past MAX_RENDER_CHARS (`make_list` and `join` chained would multiply a text)."""

    @functools.wraps(func)  # keeps is_safe, needs_autoescape... and the signature Django checks
    def bounded(value: Any, *args: Any, **kwargs: Any) -> Any:
        if name in NUMERIC_FILTERS and args:
            _check_filter_number(name, args[0])
        result = func(value, *args, **kwargs)
        if isinstance(result, str | list | tuple) and len(result) > MAX_RENDER_CHARS:
            raise TemplateLimitExceeded(
                detail=f"the filter {name} would produce more than {MAX_RENDER_CHARS:,} characters."
            )
        return result

    return bounded


def _check_filter_number(name: str, argument: Any) -> None:
    if any(int(number) > MAX_FILTER_NUMBER for number in _NUMBER.findall(str(argument))):
        raise TemplateLimitExceeded(detail=f"{name}:{str(argument)[:20]} is past the limit of {MAX_FILTER_NUMBER}.")


def _bounded_engine(**options: Any) -> Engine:
    """An engine of its own: no template loaders (so no {% include %} or {% extends %} of site
    templates), no extra tag libraries, only Django's built-in tags, and its built-in filters
    bounded (copies: the site's own templates keep Django's filters as they are)."""
    engine = Engine(libraries={}, loaders=[], **options)
    libraries = []
    for library in engine.template_builtins:
        bounded = Library()
        bounded.tags = dict(library.tags)
        bounded.filters = {name: _bounded_filter(name, func) for name, func in library.filters.items()}
        libraries.append(bounded)
    engine.template_builtins = libraries
    return engine


ENGINE = _bounded_engine()
# For the save-time check only: an unknown variable renders as this marker so we can name it.
_MARKER = "\x00unknown:%s\x00"
_CHECK_ENGINE = _bounded_engine(string_if_invalid=_MARKER)

DATETIME_FORMAT = "%A %d %B %Y, %H:%M"  # e.g. "Monday 02 March 2026, 09:00"


@dataclass(frozen=True)
class Variable:
    name: str
    help: str
    sample: Any
    empty: Any  # the value in the sparse sample (no courses, no live classes, ...)


_LIVE_CLASS_SAMPLE = {
    "title": "Kick-off",
    "starts_at": "Monday 02 March 2026, 10:00",
    "ends_at": "Monday 02 March 2026, 11:30",
    "timezone": "Asia/Kolkata",
    "join_url": "https://meet.example.com/kick-off",
}

VARIABLES: tuple[Variable, ...] = (
    Variable("member_name", "the learner's full name (their email when no name is set)", "Asha Rao", "a@example.com"),
    Variable("member_email", "the learner's email address", "asha@example.com", "a@example.com"),
    Variable("batch_title", "the cohort's title", "New Hire - Week 12", "Cohort"),
    Variable("batch_name", "the cohort's name, as in its URL", "new-hire-week-12", "cohort"),
    Variable(
        "starts_at",
        "start, date and time in the cohort's time zone, e.g. Monday 02 March 2026, 09:00",
        "Monday 02 March 2026, 09:00",
        "Monday 02 March 2026, 09:00",
    ),
    Variable(
        "ends_at",
        "end, date and time in the cohort's time zone",
        "Friday 13 March 2026, 17:00",
        "Friday 13 March 2026, 17:00",
    ),
    Variable("start_date", "start date, YYYY-MM-DD", "2026-03-02", "2026-03-02"),
    Variable("start_time", "start time, HH:MM, in the cohort's time zone", "09:00", "09:00"),
    Variable("end_date", "end date, YYYY-MM-DD", "2026-03-13", "2026-03-13"),
    Variable("end_time", "end time, HH:MM, in the cohort's time zone", "17:00", "17:00"),
    Variable("timezone", "the cohort's time zone, e.g. Asia/Kolkata", "Asia/Kolkata", "UTC"),
    Variable("timezone_abbreviation", "its abbreviation at the start, e.g. IST or CET", "IST", "UTC"),
    Variable("courses", "list of the cohort's course titles, in order", ["Onboarding", "Security basics"], []),
    Variable(
        "live_classes",
        "list of live classes, each with title, starts_at, ends_at (in the cohort's time zone), timezone and join_url",
        [_LIVE_CLASS_SAMPLE],
        [],
    ),
    Variable(
        "batch_url",
        "the cohort's page: {SITE_URL}/lms/batches/<name>",
        "https://lms.example.com/lms/batches/new-hire-week-12",
        "https://lms.example.com/lms/batches/c",
    ),
    Variable(
        "courses_url",
        "the learner's courses: {SITE_URL}/lms/courses",
        "https://lms.example.com/lms/courses",
        "https://lms.example.com/lms/courses",
    ),
    Variable(
        "timetable_url",
        "the learner's timetable: {SITE_URL}/lms/timetable",
        "https://lms.example.com/lms/timetable",
        "https://lms.example.com/lms/timetable",
    ),
    Variable("site_url", "the site's address (SITE_URL)", "https://lms.example.com", "https://lms.example.com"),
    Variable(
        "cancellation_reason", "in a cancellation email: why the place was cancelled", "A moderator cancelled it.", ""
    ),
)


def validate_template_source(source: str) -> None:
    """Refuse a template that cannot render: syntax errors, unknown tags or filters, unknown
    variables (also inside loops and conditions), and errors raised while rendering. It is
    rendered with a full sample and with a sparse one, so both branches of `{% if courses %}` run.
    Refused too, as when rendering: {% debug %}, {% lorem %} past MAX_LOREM, padding or truncating
    numbers past MAX_FILTER_NUMBER, and output past MAX_RENDER_CHARS."""
    try:
        template = compile_template(source, engine=_CHECK_ENGINE)
    except TemplateSyntaxError as exc:
        raise ValidationError("Template error: %(error)s", code="template_syntax", params={"error": exc}) from exc
    except TemplateLimitExceeded as exc:
        raise ValidationError("%(error)s", code="template_limit", params={"error": exc.user_message()}) from exc
    unknown = _unbound_names(template.nodelist)
    for sample in (_sample_context(full=True), _sample_context(full=False)):
        try:
            output = template.render(Context(sample, autoescape=False))
        except TemplateLimitExceeded as exc:
            raise ValidationError("%(error)s", code="template_limit", params={"error": exc.user_message()}) from exc
        except (TemplateSyntaxError, TemplateDoesNotExist) as exc:
            raise ValidationError("Template error: %(error)s", code="template_syntax", params={"error": exc}) from exc
        except Exception as exc:  # noqa: BLE001 - any rendering failure must refuse the template
            raise ValidationError(
                "Template error while rendering: %(error)s",
                code="template_render",
                params={"error": f"{type(exc).__name__}: {exc}"},
            ) from exc
        unknown.update(_unknown_names(output))
        if "{{" in output or "{%" in output:
            raise ValidationError(
                "Template error: an unclosed or stray {{ or {% is left in the text.", code="template_syntax"
            )
    if unknown:
        known = ", ".join(variable.name for variable in VARIABLES)
        raise ValidationError(
            "Unknown variable %(names)s. Available: %(known)s.",
            code="template_variable",
            params={"names": ", ".join(sorted(unknown)), "known": known},
        )


def compile_template(source: str, *, engine: Engine = ENGINE) -> Template:
    """The template of `source`, checked against the limits (TemplateLimitExceeded) and metered:
    rendering it stops with TemplateLimitExceeded once it has produced MAX_RENDER_CHARS."""
    if len(source) > MAX_SOURCE_CHARS:
        raise TemplateLimitExceeded(detail=f"the template is longer than {MAX_SOURCE_CHARS:,} characters.")
    template = engine.from_string(source)
    for node in template.nodelist.get_nodes_by_type(Node):
        _check_node(node)
    _meter(template.nodelist)
    return template


def _check_node(node: Node) -> None:
    if isinstance(node, DebugNode):
        raise TemplateLimitExceeded(detail="{% debug %} is not allowed in email templates.")
    if isinstance(node, LoremNode):
        count = None if node.count.filters else _literal(node.count.var)
        if not isinstance(count, int) or count > MAX_LOREM:  # a variable's value could be anything
            raise TemplateLimitExceeded(detail=f"{{% lorem %}} takes a number up to {MAX_LOREM}.")
    for expression in _expressions(vars(node)):
        for func, args in expression.filters:
            name = getattr(func, "__name__", "")
            if name in NUMERIC_FILTERS:
                for _, argument in args:
                    literal = _literal(argument)
                    if literal is not None:  # a variable's value is checked when the filter runs
                        _check_filter_number(name, literal)


def _literal(value: Any) -> Any:
    """A tag's or filter's argument as written (`1000`, `"99s"`), or None for a variable."""
    return value.literal if isinstance(value, TemplateVariable) else value


def _expressions(value: Any, depth: int = 0) -> Iterator[FilterExpression]:
    """The filter expressions a node holds, wherever its tag keeps them (an {% if %}'s conditions,
    a {% with %}'s values, a {% filter %}'s filters...), not those of the nodes inside it."""
    if isinstance(value, FilterExpression):
        yield value
    elif depth > 8 or isinstance(value, Node | NodeList | str | TemplateVariable) or callable(value):
        return
    elif isinstance(value, dict):
        for item in value.values():
            yield from _expressions(item, depth + 1)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _expressions(item, depth + 1)
    elif hasattr(value, "__dict__"):
        yield from _expressions(vars(value), depth + 1)


class _Metered(Node):
    """A node that adds what it renders to the render's running total, and stops the render past
    MAX_RENDER_CHARS (loops multiply output: the total is what is bounded)."""

    child_nodelists = ()

    def __init__(self, node: Node) -> None:
        self.node = node
        self.token, self.origin = getattr(node, "token", None), getattr(node, "origin", None)

    def render_annotated(self, context) -> str:
        output = self.node.render_annotated(context)
        total = context.render_context.get(_Metered, 0) + len(output)
        if total > MAX_RENDER_CHARS:
            raise TemplateLimitExceeded(detail=f"it would produce more than {MAX_RENDER_CHARS:,} characters.")
        context.render_context[_Metered] = total
        return output

    def render(self, context) -> str:
        return self.render_annotated(context)

    def get_nodes_by_type(self, nodetype):
        return self.node.get_nodes_by_type(nodetype)


def _meter(nodelist: NodeList) -> None:
    """Wrap every node that renders text itself (no nodes inside it) in _Metered, in place."""
    for index, node in enumerate(nodelist):
        inner = _nodelists(node)
        if inner:
            for child in inner:
                _meter(child)
        elif not isinstance(node, _Metered):
            nodelist[index] = _Metered(node)


def _nodelists(node: Node) -> list[NodeList]:
    found = []
    for value in vars(node).values():
        if isinstance(value, NodeList):
            found.append(value)
        elif isinstance(value, list | tuple):  # {% if %}: [(condition, nodelist), ...]
            found.extend(
                item[1]
                for item in value
                if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], NodeList)
            )
    return found


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
        getattr(condition, "second", None)
    )


def _roots(expression: FilterExpression) -> set[str]:
    candidates = [expression.var] + [arg for _, args in expression.filters for _, arg in args]
    return {
        candidate.lookups[0]
        for candidate in candidates
        if isinstance(candidate, TemplateVariable) and candidate.lookups
    }


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
        names.add(output[start + len(prefix) : end])
        start = output.find(prefix, end + len(suffix))
    return names


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def render_email(template, context: dict[str, Any]) -> RenderedEmail:
    """Render an EmailTemplate. Subject and plain text are not HTML-escaped; the HTML body is. The
    subject is folded onto one line (a header cannot carry a line break). The limits checked when
    a template is saved hold here too (TemplateLimitExceeded)."""
    subject = " ".join(compile_template(template.subject).render(Context(context, autoescape=False)).split())
    text = compile_template(template.body_text).render(Context(context, autoescape=False))
    html = compile_template(template.body_html).render(Context(context)) if template.body_html.strip() else ""
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
            {
                "title": live_class.title,
                "starts_at": format_local(live_class.starts_at, zone),
                "ends_at": format_local(live_class.ends_at, zone),
                "timezone": zone,
                "join_url": live_class.join_url,
            }
            for live_class in live_classes
        ],
        "batch_url": f"{settings.SITE_URL}/lms/batches/{batch.name}",
        "courses_url": f"{settings.SITE_URL}/lms/courses",
        "timetable_url": f"{settings.SITE_URL}/lms/timetable",
        "site_url": settings.SITE_URL,
    }


def member_context(member) -> dict[str, Any]:
    return {"member_name": member.display_name, "member_email": member.email}
