"""Reads on the audit trail: the audit log, narrowed as the desk's log page and the audit-log
export narrow it."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

from django.db.models import Model, QuerySet

from smoothlms.core.db import filter_days, iterate_values
from smoothlms.core.models import EnrollmentEvent
from smoothlms.core.timeutil import iso_seconds


def audit_log_queryset(
    *,
    batch: Model | None = None,
    member: str = "",
    actor: str = "",
    event_kind: str = "",
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> QuerySet[EnrollmentEvent]:
    """EnrollmentEvent rows narrowed by cohort (a catalog.Batch), member and actor (emails), kind
    (an EventType value) and days (inclusive, in the server's time zone)."""
    queryset = EnrollmentEvent.objects.all()
    if batch is not None:
        queryset = queryset.filter(batch=batch)
    if member:
        queryset = queryset.filter(member__email=member)
    if actor:
        queryset = queryset.filter(actor_email=actor)
    if event_kind:
        queryset = queryset.filter(kind=event_kind)
    return filter_days(queryset, "created_at", since=since, until=until, is_date=False)


AUDIT_FIELDS = (
    "created_at",
    "kind",
    "actor_email",
    "member__email",
    "batch__name",
    "enrollment_id",
    "source",
    "reason",
    "before",
    "after",
    "remote_addr",
)


def _json(value: Any) -> str:
    return "" if value is None else json.dumps(value, sort_keys=True, default=str)


def list_audit_log_export_rows(**narrowing: Any) -> Iterator[tuple]:
    """The audit log (narrowed as `audit_log_queryset`) in id order, a chunk at a time: created_at,
    kind, actor, member, batch, enrollment (BE-000001), source, reason, before and after (JSON),
    remote_addr."""
    rows = iterate_values(audit_log_queryset(**narrowing), AUDIT_FIELDS)
    for created_at, kind, actor, member, batch, enrollment_id, source, reason, before, after, addr in rows:
        yield (
            iso_seconds(created_at),
            kind,
            actor,
            member,
            batch,
            f"BE-{enrollment_id:06d}" if enrollment_id else "",
            source,
            reason,
            _json(before),
            _json(after),
            addr,
        )
