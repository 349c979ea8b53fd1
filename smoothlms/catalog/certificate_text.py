"""The certificate's body text (LMS Settings): Django template syntax with a few documented
variables, rendered by a sandboxed engine and checked when saved, so a broken text is refused in the
desk rather than when a certificate is issued."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.template import Context, Engine, TemplateSyntaxError

# No loaders (no {% include %} of site templates) and no extra tag libraries.
ENGINE = Engine(libraries={}, loaders=[])
_MARKER = "\x00unknown:%s\x00"
_CHECK_ENGINE = Engine(libraries={}, loaders=[], string_if_invalid=_MARKER)

VARIABLES: dict[str, str] = {
    "member_name": "the holder's full name",
    "course_title": "the course's title (for a cohort certificate, the cohort's title)",
    "batch_title": "the cohort's title (blank when the course was not taken through a cohort)",
    "issue_date": "the issue date, e.g. 31 January 2026",
    "expiry_date": "the expiry date, e.g. 31 January 2027 (blank: no expiry)",
    "certificate_name": "the certificate's number, as in its verify link",
}
SAMPLE = {
    "member_name": "Asha Rao",
    "course_title": "Fire Safety",
    "batch_title": "New Hire - Week 12",
    "issue_date": "31 January 2026",
    "expiry_date": "31 January 2027",
    "certificate_name": "K7M2QX9PLA",
}

DEFAULT_BODY = "This certifies that {{ member_name }} has successfully completed {{ course_title }}."


def validate_certificate_text(source: str) -> None:
    """Refuse a text that cannot render or names a variable that does not exist."""
    try:
        template = _CHECK_ENGINE.from_string(source)
        output = template.render(Context(SAMPLE, autoescape=False))
    except TemplateSyntaxError as exc:
        raise ValidationError("Template error: %(error)s", code="template_syntax", params={"error": exc}) from exc
    prefix, suffix = _MARKER.split("%s")
    unknown = sorted({part.split(suffix)[0] for part in output.split(prefix)[1:]})
    if unknown:
        raise ValidationError(
            "Unknown variable %(names)s. Available: %(known)s.",
            code="template_variable",
            params={"names": ", ".join(unknown), "known": ", ".join(VARIABLES)},
        )


def render_certificate_text(source: str, context: dict[str, Any]) -> str:
    """Plain text (a PDF is not HTML: nothing is escaped), blank lines kept as paragraph breaks."""
    return ENGINE.from_string(source).render(Context(context, autoescape=False)).strip()
