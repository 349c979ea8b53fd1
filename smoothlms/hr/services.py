"""Provisioning: one service for every HR path (file import, API, webhook, HRMS sync, desk).

An HR record is keyed by its HR id; its email is an attribute that can change. The service makes
the LMS match the record (desired state):
- an Active employee with an email has an enabled user with the LMS Student role, linked through
  Employee.user: the linked user if there is one, else an existing user with one of the record's
  emails (normalised; User ID, then Company Email, then Personal Email), else a new user (no
  password: a set-password email goes out after commit);
- a rehire (same HR id, or a new HR id with the email of a disabled user) gets the old user back,
  re-enabled: never a duplicate;
- a leaver (status Left, or the relieving date has passed) has the user disabled, unless that user
  belongs to another active employee; enrollments and history stay. A leaver with no user gets none;
- Inactive and Suspended records are kept and linked, their user is left as it is;
- a user can belong to one active employee: a second one is an error for that row.

Rows that change nothing write nothing. Everything is read in bulk first (a plan), then written in
chunks (one transaction each), records that release a user before records that take one.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction
from django.utils import timezone

from smoothlms.core.bulk import ids_by, insert_rows, update_rows
from smoothlms.core.db import chunked
from smoothlms.core.errors import DomainError
from smoothlms.core.models import EnrollmentEvent, EventType
from smoothlms.core.tasks import after_commit
from smoothlms.hr.errors import ConcurrentChange, DuplicateEmployee, TooManyDisables, UserLinkedToOtherEmployee
from smoothlms.hr.invitations import queue_invitations
from smoothlms.hr.records import EMPLOYEE_FIELDS, EmployeeRecord
from smoothlms.people.models import Employee, EmployeeStatus, User
from smoothlms.people.roles import Role
from smoothlms.people.services import set_user_enabled

CREATE, UPDATE, REHIRE, DISABLE, UNCHANGED, ERROR = "create", "update", "rehire", "disable", "unchanged", "error"
ACTIONS = (CREATE, UPDATE, REHIRE, DISABLE, UNCHANGED, ERROR)
WRITE_CHUNK = 2000
READ_CHUNK = 2000
DEFAULT_DISABLE_THRESHOLD = 0.2


@dataclass
class RowOutcome:
    row: int | None
    employee: str
    action: str
    email: str = ""  # the linked user's email, "" when the employee has no user
    code: str = ""
    message: str = ""
    error: DomainError | None = field(default=None, repr=False, compare=False)

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "employee": self.employee, "action": self.action, "email": self.email,
                "code": self.code, "message": self.message}


@dataclass
class ProvisionReport:
    rows: list[RowOutcome]
    dry_run: bool = False
    onboarded: int = 0
    refused: DomainError | None = None  # a dry run that a real run would refuse as a whole (TooManyDisables)

    def count(self, action: str) -> int:
        return sum(1 for row in self.rows if row.action == action)

    @property
    def counts(self) -> dict[str, int]:
        return {action: self.count(action) for action in ACTIONS}

    @property
    def failed(self) -> int:
        return self.count(ERROR)

    @property
    def changed(self) -> int:
        return sum(1 for row in self.rows if row.action not in (UNCHANGED, ERROR))

    def summary(self) -> str:
        counts = self.counts
        text = (f"created={counts[CREATE]} updated={counts[UPDATE]} rehired={counts[REHIRE]} "
                f"disabled={counts[DISABLE]} unchanged={counts[UNCHANGED]} failed={counts[ERROR]}")
        return text + (" (dry run)" if self.dry_run else "")


@dataclass
class _User:
    pk: int
    email: str
    enabled: bool
    password_set: bool


@dataclass
class _Plan:
    record: EmployeeRecord
    outcome: RowOutcome
    existing: dict[str, Any] | None = None
    values: dict[str, Any] = field(default_factory=dict)
    changed: list[str] = field(default_factory=list)
    user: _User | None = None
    new_user_email: str = ""
    enable: bool = False
    disable: bool = False
    add_role: bool = False
    invite: bool = False

    @property
    def writes(self) -> bool:
        return self.outcome.action not in (UNCHANGED, ERROR)

    @property
    def releases(self) -> bool:
        """Whether this write frees a user held by the existing record as an active employee (the
        unique index on active employees' users): such writes go first."""
        old = self.existing
        return bool(old and old["status"] == EmployeeStatus.ACTIVE and old["user_id"]
                    and (self.values["status"] != EmployeeStatus.ACTIVE or self.values["user_id"] != old["user_id"]))


# The service ----------------------------------------------------------------------------------


def provision_employees(
    *,
    records: Sequence[EmployeeRecord],
    actor: User | None,
    source: str,
    dry_run: bool = False,
    disable_threshold: float | None = None,
    onboard: bool = True,
    invite: bool = True,
    chunk_size: int = WRITE_CHUNK,
    progress: Callable[[int, int], None] | None = None,
    errors: Iterable[RowOutcome] = (),
) -> ProvisionReport:
    """Make the LMS match `records` (rules in the module docstring). Each record gets one outcome:
    create, update, rehire, disable, unchanged or error (with the code and message of the refusal),
    in the order given; `errors` (rows that could not be parsed) join the report in row order.

    `dry_run` plans and writes nothing. `disable_threshold` (a fraction, e.g. 0.2) refuses the
    whole run with TooManyDisables when more than that share of the currently enabled
    employee-linked users would be disabled (a dry run reports it in `refused` instead). Rows are
    written `chunk_size` at a time, one transaction per chunk (works inside a caller's transaction
    too: the desk saves inside one).
    `progress(done_in_chunk, total)` follows the writing.
    Side effects: users (LMS Student role), employee records, enabled flags, audit events,
    set-password emails after commit (unless `invite` is off), then the onboarding rules for the
    employees written (unless `onboard` is off)."""
    today = timezone.localdate()
    plans = _plan(records, today=today)
    report = ProvisionReport(rows=[], dry_run=dry_run)
    report.rows = sorted([p.outcome for p in plans] + list(errors),
                         key=lambda outcome: (outcome.row is None, outcome.row or 0))
    if disable_threshold is not None:
        try:
            _check_threshold(plans, disable_threshold)
        except TooManyDisables as error:
            if not dry_run:
                raise
            report.refused = error
    if dry_run:
        return report
    to_write = [p for p in plans if p.writes]
    # Records that free a user first, so the one-active-employee-per-user index never sees two.
    to_write.sort(key=lambda p: not p.releases)
    now = timezone.now()
    for chunk in chunked(to_write, chunk_size):
        _write_chunk(chunk, actor=actor, source=source, now=now, invite=invite)
        if progress:
            progress(len(chunk), len(to_write))
    if onboard:
        written = [p.values["pk"] for p in to_write if p.outcome.action not in (DISABLE, ERROR)]
        if written:
            from smoothlms.hr.onboarding import apply_onboarding_rules

            def run() -> None:
                report.onboarded = apply_onboarding_rules(employee_ids=written).applied

            # After the caller's transaction, if there is one: enrolling opens its own durable transactions.
            # A failure is logged: the periodic HR job applies the rules to every joiner again.
            after_commit(run, what="apply the onboarding rules")
    return report


def provision_employee(*, record: EmployeeRecord, actor: User | None, source: str,
                       onboard: bool = True) -> tuple[Employee, str]:
    """One record through `provision_employees`: the employee (with its user) and the action taken.
    Raises the row's DomainError when it is refused."""
    report = provision_employees(records=[record], actor=actor, source=source, onboard=onboard)
    if isinstance(report.rows[0].error, ConcurrentChange):
        # Another request wrote the same employee or user meanwhile (a webhook delivered twice):
        # planned again on what is committed now, the record is an update or unchanged.
        report = provision_employees(records=[record], actor=actor, source=source, onboard=onboard)
    outcome = report.rows[0]
    if outcome.error is not None:
        raise outcome.error
    return Employee.objects.select_related("user").get(employee=record.employee), outcome.action


def count_enabled_employee_users() -> int:
    return User.objects.filter(enabled=True, employees__isnull=False).distinct().count()


def _check_threshold(plans: list[_Plan], threshold: float) -> None:
    disables = sum(1 for p in plans if p.disable)
    if not disables:
        return
    total = count_enabled_employee_users()
    if total and disables / total > threshold:
        raise TooManyDisables(count=disables, total=total, percent=round(threshold * 100))


def disable_threshold_setting() -> float:
    return float(getattr(settings, "HR_DISABLE_THRESHOLD", DEFAULT_DISABLE_THRESHOLD))


# Planning (reads only) ------------------------------------------------------------------------


def _plan(records: Sequence[EmployeeRecord], *, today: dt.date) -> list[_Plan]:
    plans: list[_Plan] = []
    first_row: dict[str, int | None] = {}
    for record in records:
        outcome = RowOutcome(row=record.row, employee=record.employee, action=UNCHANGED)
        plan = _Plan(record=record, outcome=outcome)
        if record.employee in first_row:
            _fail(plan, DuplicateEmployee(employee=record.employee, first_row=first_row[record.employee] or "?"))
        else:
            first_row[record.employee] = record.row
        plans.append(plan)
    live = [p for p in plans if p.outcome.action != ERROR]

    existing = _read_employees([p.record.employee for p in live])
    emails = {email for p in live for email in p.record.emails}
    users_by_email, users_by_pk = _read_users(emails, {row["user_id"] for row in existing.values() if row["user_id"]})
    students = _read_students(list(users_by_pk))
    active_owner = _read_active_owners(list(users_by_pk))

    for plan in live:
        plan.existing = existing.get(plan.record.employee)
        old = plan.existing
        if old and old["status"] == EmployeeStatus.ACTIVE and old["user_id"] and not plan.record.is_active(
                today=today):
            # This record leaves active status in this run: its user is free for another active one.
            if active_owner.get(old["user_id"]) == plan.record.employee:
                del active_owner[old["user_id"]]

    new_user_owner: dict[str, str] = {}  # emails of users this run creates -> the HR id creating them
    # Active records first, so a leaver's row sees whether an active record of this run takes its user.
    ordered = [p for p in live if p.record.is_active(today=today)] + [
        p for p in live if not p.record.is_active(today=today)]
    for plan in ordered:
        try:
            _decide(plan, users_by_pk=users_by_pk, users_by_email=users_by_email, students=students,
                    active_owner=active_owner, new_user_owner=new_user_owner, today=today)
        except DomainError as error:
            _fail(plan, error)
    return plans


def _fail(plan: _Plan, error: DomainError) -> None:
    plan.outcome.action = ERROR
    plan.outcome.code = error.code
    plan.outcome.message = error.user_message()
    plan.outcome.error = error


def _matching(queryset, key: str, values, *, scan_above: int = 5 * READ_CHUNK):
    """Rows of `queryset` whose `key` is in `values`: by IN lists of READ_CHUNK, or, for many values
    (a whole HR export), by one pass over the table, which is several times faster than 25 IN lists."""
    if len(values) > scan_above:
        wanted = set(values)
        return (row for row in queryset.iterator(chunk_size=5000) if _key(row, key) in wanted)
    return (row for chunk in chunked(sorted(values), READ_CHUNK) for row in queryset.filter(**{f"{key}__in": chunk}))


def _key(row, key: str):
    if isinstance(row, dict):
        return row[key]
    return row[0] if isinstance(row, tuple) else row  # values_list: the key comes first; flat: the value


def _read_employees(hr_ids: list[str]) -> dict[str, dict[str, Any]]:
    queryset = Employee.objects.values("pk", "employee", "user_id", "modified_in_hr", *EMPLOYEE_FIELDS)
    return {row["employee"]: row for row in _matching(queryset, "employee", hr_ids)}


def _read_users(emails: set[str], linked_ids: set[int]) -> tuple[dict[str, _User], dict[int, _User]]:
    by_email: dict[str, _User] = {}
    by_pk: dict[int, _User] = {}
    fields = ("email", "pk", "enabled", "password_set")
    for email, pk, enabled, password_set in _matching(User.objects.values_list(*fields), "email", emails):
        user = _User(pk, email, enabled, password_set)
        by_email[user.email] = by_pk[user.pk] = user
    for chunk in chunked(sorted(linked_ids - by_pk.keys()), READ_CHUNK):
        for email, pk, enabled, password_set in User.objects.filter(pk__in=chunk).values_list(*fields):
            user = _User(pk, email, enabled, password_set)
            by_email[user.email] = by_pk[user.pk] = user
    return by_email, by_pk


def _read_students(user_ids: list[int]) -> set[int]:
    queryset = User.groups.through.objects.filter(group__name=Role.LMS_STUDENT).values_list("user_id", flat=True)
    return set(_matching(queryset, "user_id", user_ids))


def _read_active_owners(user_ids: list[int]) -> dict[int, str]:
    queryset = Employee.objects.filter(status=EmployeeStatus.ACTIVE, user__isnull=False).values_list(
        "user_id", "employee")
    return dict(_matching(queryset, "user_id", user_ids))


def _decide(plan: _Plan, *, users_by_pk: dict[int, _User], users_by_email: dict[str, _User], students: set[int],
            active_owner: dict[int, str], new_user_owner: dict[str, str], today: dt.date) -> None:
    record, old = plan.record, plan.existing
    hr_id = record.employee
    active = record.is_active(today=today)
    user = users_by_pk.get(old["user_id"]) if old and old["user_id"] else None
    if user is None:
        for email in record.emails:
            if email in users_by_email:
                user = users_by_email[email]
                break
            if active and email in new_user_owner:
                # Another active record of this run creates the user with this email.
                raise UserLinkedToOtherEmployee(email=email, other=new_user_owner[email])
    notes: list[str] = []
    if active:
        if user is not None:
            owner = active_owner.get(user.pk)
            if owner is not None and owner != hr_id:
                raise UserLinkedToOtherEmployee(email=user.email, other=owner)
            active_owner[user.pk] = hr_id
            if not user.enabled:
                plan.enable = True
                user.enabled = True  # later rows of this run see the planned state
                plan.invite = not user.password_set
            plan.add_role = user.pk not in students
            if plan.add_role:
                students.add(user.pk)
                notes.append("LMS Student role added")
        elif record.preferred_email:
            plan.new_user_email = record.preferred_email
            new_user_owner[record.preferred_email] = hr_id
            plan.invite = True
    elif user is not None and record.is_leaver(today=today) and user.enabled and user.pk not in active_owner:
        plan.disable = True
        user.enabled = False

    plan.user = user
    values = record.employee_values()
    values["user_id"] = user.pk if user else None
    if record.modified_in_hr is not None:
        values["modified_in_hr"] = record.modified_in_hr
    plan.values = values
    plan.changed = [name for name, value in values.items() if old is None or old[name] != value]
    if old is not None:
        values["pk"] = old["pk"]

    email = user.email if user else plan.new_user_email
    plan.outcome.email = email
    if plan.enable:
        plan.outcome.action = REHIRE
        notes.insert(0, f"user {email} enabled again")
    elif plan.disable:
        plan.outcome.action = DISABLE
        notes.insert(0, f"user {email} disabled")
    elif old is None:
        plan.outcome.action = CREATE
    elif plan.changed or plan.add_role or plan.new_user_email:
        plan.outcome.action = UPDATE
    if plan.new_user_email:
        notes.append(f"new user {email}" + (", set-password email to follow" if plan.invite else ""))
    elif user is not None and (old is None or old["user_id"] != user.pk):
        notes.append(f"linked to the existing user {email}")
    elif user is None and plan.outcome.action == CREATE:
        notes.append("no user (leaver)" if record.is_leaver(today=today) else
                     "no user (not active)" if not active else "no user (no email)")
    changed = [name for name in plan.changed if name not in ("user_id", "modified_in_hr")]
    if old is not None and changed:
        notes.append("changed: " + ", ".join(changed))
    plan.outcome.message = "; ".join(notes)


# Writing ----------------------------------------------------------------------------------------


def _json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date | dt.datetime) else value


def _unusable_password() -> str:
    # What set_unusable_password() stores, from a cheaper random source (50,000 users in one import).
    return UNUSABLE_PASSWORD_PREFIX + secrets.token_hex(20)


def _write_chunk(plans: list[_Plan], *, actor: User | None, source: str, now: dt.datetime, invite: bool) -> None:
    try:
        with transaction.atomic():
            _write(plans, actor=actor, source=source, now=now, invite=invite)
        return
    except IntegrityError:
        if len(plans) == 1:
            _fail(plans[0], ConcurrentChange())
            return
    # Another path changed the same employee or user meanwhile: write the rows one by one, so only
    # the conflicting ones fail (planned from stale reads; importing again settles them).
    for plan in plans:
        try:
            with transaction.atomic():
                _write([plan], actor=actor, source=source, now=now, invite=invite)
        except IntegrityError:
            _fail(plan, ConcurrentChange())


def _write(plans: list[_Plan], *, actor: User | None, source: str, now: dt.datetime, invite: bool) -> None:
    events: list[dict[str, Any]] = []
    actor_fields = {"actor_id": actor.pk if actor else None, "actor_email": getattr(actor, "email", "") or "",
                    "source": source}

    creating = [p for p in plans if p.new_user_email]
    if creating:
        # ignore_conflicts: a user made meanwhile by another path (same email) is linked instead.
        insert_rows(User, [{"email": p.new_user_email, "full_name": p.record.employee_name[:200], "enabled": True,
                            "password": _unusable_password(), "created_at": now, "updated_at": now}
                           for p in creating], ignore_conflicts=True)
        made = ids_by(User, "email", [p.new_user_email for p in creating])
        for plan in creating:
            plan.values["user_id"] = made[plan.new_user_email]
            events.append({**actor_fields, "kind": EventType.USER_CREATED, "member_id": plan.values["user_id"],
                           "after": {"email": plan.new_user_email, "roles": [Role.LMS_STUDENT], "enabled": True,
                                     "employee": plan.record.employee}})

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
        insert_rows(Employee, [{"employee": p.record.employee, "modified_in_hr": None,
                                **{name: value for name, value in p.values.items() if name != "pk"},
                                "synced_at": now, "created_at": now, "updated_at": now} for p in inserts])
        made = ids_by(Employee, "employee", [p.record.employee for p in inserts])
        for plan in inserts:
            plan.values["pk"] = made[plan.record.employee]

    for plan in plans:
        user_id = plan.values["user_id"]
        if plan.existing is not None and plan.changed:
            changed = plan.changed
            events.append({**actor_fields, "kind": EventType.EMPLOYEE_CHANGED, "member_id": user_id,
                           "before": {name: _json(plan.existing[name]) for name in changed},
                           "after": {"employee": plan.record.employee,
                                     **{name: _json(plan.values[name]) for name in changed}}})
        elif plan.existing is None and plan.user is not None:
            events.append({**actor_fields, "kind": EventType.EMPLOYEE_CHANGED, "member_id": user_id,
                           "after": {"employee": plan.record.employee, "user_id": user_id}})
        if plan.enable or plan.disable:
            user = User.objects.get(pk=user_id)
            reason = (f"HR {source}: employee {plan.record.employee} is active again" if plan.enable
                      else f"HR {source}: employee {plan.record.employee} left")
            set_user_enabled(user=user, enabled=plan.enable, actor=actor, reason=reason)

    roles = [p.values["user_id"] for p in plans if p.add_role or p.new_user_email]
    if roles:
        group_id = Group.objects.get_or_create(name=Role.LMS_STUDENT)[0].pk  # a role: made by a migration
        insert_rows(User.groups.through, [{"user_id": user_id, "group_id": group_id} for user_id in roles],
                    ignore_conflicts=True)
    for event in events:
        event.setdefault("before", None)
        event.update(created_at=now, reason="")
    insert_rows(EnrollmentEvent, events)
    if invite:
        invited = [p.values["user_id"] for p in plans if p.invite]
        if invited:
            queue_invitations(user_ids=invited)
