"""Writing audit events. Call inside the transaction of the change being recorded."""

from __future__ import annotations

from typing import Any

from smoothlms.core.models import EnrollmentEvent, EventType


def record_event(
    kind: EventType | str,
    *,
    actor=None,
    batch=None,
    member=None,
    enrollment=None,
    source: str = "",
    reason: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    remote_addr: str | None = None,
) -> EnrollmentEvent:
    return EnrollmentEvent.objects.create(
        **event_fields(
            kind,
            actor=actor,
            batch=batch,
            member=member,
            enrollment=enrollment,
            source=source,
            reason=reason,
            before=before,
            after=after,
            remote_addr=remote_addr,
        )
    )


def event_fields(
    kind,
    *,
    actor=None,
    batch=None,
    member=None,
    enrollment=None,
    source="",
    reason="",
    before=None,
    after=None,
    remote_addr=None,
) -> dict[str, Any]:
    """Field values of one event: for bulk paths that build many events and insert them at once."""
    return {
        "kind": str(kind),
        "actor": actor,
        "actor_email": getattr(actor, "email", "") or "",
        "batch": batch,
        "member": member,
        "enrollment": enrollment,
        "source": str(source or ""),
        "reason": reason or "",
        "before": before,
        "after": after,
        "remote_addr": remote_addr,
    }
