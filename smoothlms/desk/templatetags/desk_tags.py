from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def intsep(value) -> str:
    """12345 -> "12,345"."""
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return str(value)
