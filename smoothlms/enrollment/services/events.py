"""Audit events of many enrollments at once (the bulk path, waitlist promotion)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence

from django.db import connection

from smoothlms.catalog.models import Batch
from smoothlms.core.db import any_of
from smoothlms.core.models import EnrollmentEvent
from smoothlms.enrollment.models import BatchEnrollment, Source
from smoothlms.people.models import User


def record_enrollment_events(
    kind: str,
    *,
    batch: Batch,
    member_ids: Sequence[int],
    actor: User | None,
    source: Source | str,
    reason: str,
    after: dict,
    at: dt.datetime,
) -> None:
    """One audit event per enrolled member, written by one INSERT ... SELECT over the members'
    enrollment rows (same fields as core.audit.record_event; the rows never pass through Python)."""
    if not member_ids:
        return
    quote = connection.ops.quote_name
    postgres = connection.vendor == "postgresql"
    # PostgreSQL types a bare parameter in a SELECT list as text; the JSON and id columns need a cast.
    as_json = "CAST(%s AS jsonb)" if postgres else "%s"
    as_id = "CAST(%s AS bigint)" if postgres else "%s"
    members, member_params = any_of("e.member_id", member_ids)
    columns = ", ".join(
        quote(c)
        for c in (
            "created_at",
            "kind",
            "actor_id",
            "actor_email",
            "batch_id",
            "member_id",
            "enrollment_id",
            "source",
            "reason",
            "before",
            "after",
            "remote_addr",
        )
    )
    sql = (
        f"INSERT INTO {quote(EnrollmentEvent._meta.db_table)} ({columns}) "
        f"SELECT %s, %s, {as_id}, %s, e.batch_id, e.member_id, e.id, %s, %s, NULL, {as_json}, NULL "
        f"FROM {quote(BatchEnrollment._meta.db_table)} e WHERE e.batch_id = %s AND {members}"
    )
    params = [
        at,
        str(kind),
        actor.pk if actor else None,
        actor.email if actor else "",
        str(source),
        reason,
        json.dumps(after),
        batch.pk,
        *member_params,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
