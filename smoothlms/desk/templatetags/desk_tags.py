from __future__ import annotations

from django import template

from smoothlms.desk.addresses import record_key

register = template.Library()


@register.filter
def intsep(value) -> str:
    """12345 -> "12,345"."""
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return str(value)


@register.filter
def desk_key(obj) -> str:
    """The argument that reverses to `obj`'s desk address: `{% url 'admin:catalog_batch_change' batch|desk_key %}`
    gives /app/lms-batch/<name> without a query."""
    return record_key(obj)
