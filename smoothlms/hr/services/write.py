"""Writing a planned provisioning run: one chunk of plans per transaction, users created first,
then the employee records, the audit events, the roles and the set-password emails."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction
from django.db.models import Q

from smoothlms.core.bulk import ids_by, insert_rows, update_rows
from smoothlms.core.errors import DomainError
from smoothlms.core.models import EnrollmentEvent, EventType
from smoothlms.enrollment.models import Source
from smoothlms.enrollment.services import withdraw_disabled_user
from smoothlms.hr.errors import ConcurrentChange
from smoothlms.hr.records import EMPLOYEE_FIELDS
from smoothlms.hr.services.plan import Plan, fail
from smoothlms.hr.services.report import UNCHANGED
from smoothlms.people.accounts import queue_invitations
from smoothlms.people.models import Employee, User
from smoothlms.people.roles import Role
from smoothlms.people.services import set_user_enabled, set_user_roles


def _json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date | dt.datetime) else value


def _unusable_password() -> str:
    # What set_unusable_password() stores, from a cheaper random source (50,000 users in one import).
    return UNUSABLE_PASSWORD_PREFIX + secrets.token_hex(20)


def write_chunk(plans: list[Plan], *, actor: User | None, source: str, now: dt.datetime, invite: bool) -> None:
    try:
        with transaction.atomic():
            _write(plans, actor=actor, source=source, now=now, invite=invite)
        return
    except (IntegrityError, DomainError) as error:
        if len(plans) == 1:
            fail(plans[0], _row_error(error))
            return
    # Another path changed the same employee or user meanwhile, or a rule refused one row at write
    # time (the last System Manager): write the rows one by one, so only those fail (planned from
    # stale reads; importing again settles them).
    for plan in plans:
        try:
            with transaction.atomic():
                _write([plan], actor=actor, source=source, now=now, invite=invite)
        except (IntegrityError, DomainError) as error:
            fail(plan, _row_error(error))


def _row_error(error: Exception) -> DomainError:
    return error if isinstance(error, DomainError) else ConcurrentChange()


def _write(plans: list[Plan], *, actor: User | None, source: str, now: dt.datetime, invite: bool) -> None:
    actor_fields = {
        "actor_id": actor.pk if actor else None,
        "actor_email": getattr(actor, "email", "") or "",
        "source": source,
    }
    plans = _claim_newer(plans)
    events = _create_users(plans, now=now, actor_fields=actor_fields)
    _write_employees(plans, now=now)
    for plan in plans:
        events.extend(_employee_events(plan, actor_fields=actor_fields))
        _write_user_state(plan, actor=actor, source=source)
    roles = [p.values["user_id"] for p in plans if p.add_role or p.new_user_email]
    if roles:
        group_id = Group.objects.get_or_create(name=Role.LMS_STUDENT)[0].pk  # a role: made by a migration
        insert_rows(
            User.groups.through,
            [{"user_id": user_id, "group_id": group_id} for user_id in roles],
            ignore_conflicts=True,
        )
    for event in events:
        event.setdefault("before", None)
        event.update(created_at=now, reason="")
    insert_rows(EnrollmentEvent, events)
    invited = [p.values["user_id"] for p in plans if p.invite] if invite else []
    if invited:
        queue_invitations(user_ids=invited)


def _claim_newer(plans: list[Plan]) -> list[Plan]:
    """The plans still newer than the stored HR document. A conditional write (UPDATE ... WHERE
    modified_in_hr < new OR IS NULL), not a read then a write: of two documents applied at once,
    only the newer one claims the row; an older one, planned before, changes nothing."""
    kept = []
    for plan in plans:
        modified = plan.record.modified_in_hr
        if plan.existing is not None and modified is not None:
            claimed = (
                Employee.objects.filter(pk=plan.existing["pk"])
                .filter(Q(modified_in_hr__isnull=True) | Q(modified_in_hr__lt=modified))
                .update(modified_in_hr=modified)
            )
            if not claimed:
                plan.stale = True
                plan.outcome.action = UNCHANGED
                plan.outcome.message = "not applied: a newer HR document was stored meanwhile"
                continue
        kept.append(plan)
    return kept


def _write_user_state(plan: Plan, *, actor: User | None, source: str) -> None:
    """A rehire's staff roles removed (before it is enabled, so it is never an enabled staff
    account), then the user enabled or disabled; each audited."""
    if not (plan.enable or plan.disable):
        return
    user = User.objects.get(pk=plan.values["user_id"])
    if plan.strip_staff:
        set_user_roles(user=user, roles=[Role.LMS_STUDENT], actor=actor)
    reason = (
        f"HR {source}: employee {plan.record.employee} is active again"
        if plan.enable
        else f"HR {source}: employee {plan.record.employee} left"
    )
    set_user_enabled(user=user, enabled=plan.enable, actor=actor, reason=reason, source=source)
    if plan.disable:  # a leaver's seats go back, and their cohorts' waitlists move up
        withdraw_disabled_user(user=user, actor=actor, source=Source.HR_RULE)


def _create_users(plans: list[Plan], *, now: dt.datetime, actor_fields: dict[str, Any]) -> list[dict[str, Any]]:
    """The users this chunk creates (no password yet); their USER_CREATED events."""
    creating = [p for p in plans if p.new_user_email]
    if not creating:
        return []
    # ignore_conflicts: a user made meanwhile by another path (same email) is linked instead.
    insert_rows(
        User,
        [
            {
                "email": p.new_user_email,
                "full_name": p.record.employee_name[:200],
                "enabled": True,
                "password": _unusable_password(),
                "created_at": now,
                "updated_at": now,
            }
            for p in creating
        ],
        ignore_conflicts=True,
    )
    made = ids_by(User, "email", [p.new_user_email for p in creating])
    events = []
    for plan in creating:
        plan.values["user_id"] = made[plan.new_user_email]
        events.append(
            {
                **actor_fields,
                "kind": EventType.USER_CREATED,
                "member_id": plan.values["user_id"],
                "after": {
                    "email": plan.new_user_email,
                    "roles": [Role.LMS_STUDENT],
                    "enabled": True,
                    "employee": plan.record.employee,
                },
            }
        )
    return events


def _write_employees(plans: list[Plan], *, now: dt.datetime) -> None:
    fields = [*EMPLOYEE_FIELDS, "user_id", "modified_in_hr", "synced_at", "updated_at"]
    updates = []
    for plan in plans:
        if plan.existing is not None:
            row = {**plan.values, "synced_at": now, "updated_at": now}
            row.setdefault("modified_in_hr", plan.existing["modified_in_hr"])
            updates.append(row)
    # In the planned order: records that free a user come first.
    update_rows(Employee, updates, fields)

    inserts = [p for p in plans if p.existing is None]
    if inserts:
        insert_rows(
            Employee,
            [
                {
                    "employee": p.record.employee,
                    "modified_in_hr": None,
                    **{name: value for name, value in p.values.items() if name != "pk"},
                    "synced_at": now,
                    "created_at": now,
                    "updated_at": now,
                }
                for p in inserts
            ],
        )
        made = ids_by(Employee, "employee", [p.record.employee for p in inserts])
        for plan in inserts:
            plan.values["pk"] = made[plan.record.employee]


def _employee_events(plan: Plan, *, actor_fields: dict[str, Any]) -> list[dict[str, Any]]:
    """The EMPLOYEE_CHANGED event of one record: what changed, or the link of a new record's user."""
    user_id = plan.values["user_id"]
    if plan.existing is not None and plan.changed:
        changed = plan.changed
        return [
            {
                **actor_fields,
                "kind": EventType.EMPLOYEE_CHANGED,
                "member_id": user_id,
                "before": {name: _json(plan.existing[name]) for name in changed},
                "after": {"employee": plan.record.employee, **{name: _json(plan.values[name]) for name in changed}},
            }
        ]
    if plan.existing is None and plan.user is not None:
        return [
            {
                **actor_fields,
                "kind": EventType.EMPLOYEE_CHANGED,
                "member_id": user_id,
                "after": {"employee": plan.record.employee, "user_id": user_id},
            }
        ]
    return []
