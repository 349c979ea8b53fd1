"""Planning a provisioning run (reads only): everything is read in bulk first, then each record is
decided against what the database holds and what earlier records of the run will do."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q

from smoothlms.core.db import chunked
from smoothlms.core.errors import DomainError
from smoothlms.hr.errors import DuplicateEmployee, StaffAccount, UserLinkedToOtherEmployee
from smoothlms.hr.records import EMPLOYEE_FIELDS, EmployeeRecord
from smoothlms.hr.services.report import CREATE, DISABLE, ERROR, REHIRE, UNCHANGED, UPDATE, RowOutcome
from smoothlms.people.errors import LastSystemManager
from smoothlms.people.models import Employee, EmployeeStatus, User
from smoothlms.people.roles import staff_memberships, student_memberships, system_manager_memberships

READ_CHUNK = 2000


@dataclass
class PlannedUser:
    """A user as the run sees it: read once, then changed as earlier records of the run plan to."""

    pk: int
    email: str
    enabled: bool
    password_set: bool


@dataclass
class Plan:
    """What one record will write: its employee values, its user (found, new or none), and whether
    that user is enabled, disabled, given the student role or invited."""

    record: EmployeeRecord
    outcome: RowOutcome
    existing: dict[str, Any] | None = None
    values: dict[str, Any] = field(default_factory=dict)
    changed: list[str] = field(default_factory=list)
    user: PlannedUser | None = None
    new_user_email: str = ""
    enable: bool = False
    disable: bool = False
    add_role: bool = False
    strip_staff: bool = False  # a rehired staff account comes back with LMS Student only
    invite: bool = False
    stale: bool = False  # the stored HR document is as new or newer: the record changes nothing

    @property
    def writes(self) -> bool:
        return self.outcome.action not in (UNCHANGED, ERROR)

    @property
    def releases(self) -> bool:
        """Whether this write frees a user held by the existing record as an active employee (the
        unique index on active employees' users): such writes go first."""
        old = self.existing
        return bool(
            old
            and old["status"] == EmployeeStatus.ACTIVE
            and old["user_id"]
            and (self.values["status"] != EmployeeStatus.ACTIVE or self.values["user_id"] != old["user_id"])
        )


def plan_records(records: Sequence[EmployeeRecord], *, today: dt.date, trusted: bool = False) -> list[Plan]:
    """One plan per record, in the order given, each with its outcome (an error for a refused
    record). A handful of bulk reads whatever the number of records; nothing is written.
    `trusted`: a System Manager acts, who may link an HR record to an account holding a staff role."""
    plans: list[Plan] = []
    first_row: dict[str, int | None] = {}
    for record in records:
        outcome = RowOutcome(row=record.row, employee=record.employee, action=UNCHANGED)
        plan = Plan(record=record, outcome=outcome)
        if record.employee in first_row:
            fail(plan, DuplicateEmployee(employee=record.employee, first_row=first_row[record.employee] or "?"))
        else:
            first_row[record.employee] = record.row
        plans.append(plan)
    live = [p for p in plans if p.outcome.action != ERROR]
    run = _read_run(live, today=today)
    run.trusted = trusted
    # Active records first, so a leaver's row sees whether an active record of this run takes its user.
    ordered = [p for p in live if p.record.is_active(today=today)] + [
        p for p in live if not p.record.is_active(today=today)
    ]
    for plan in ordered:
        try:
            _decide(plan, run, today=today)
        except DomainError as error:
            fail(plan, error)
    return plans


@dataclass
class _Run:
    """What the run has read, and what its records plan so far: later records see it."""

    users_by_pk: dict[int, PlannedUser]
    users_by_email: dict[str, PlannedUser]
    students: set[int]  # users with the LMS Student role
    active_owner: dict[int, str]  # user id -> the HR id of the active employee holding it
    staff: set[int] = field(default_factory=set)  # users holding a staff role
    managers: set[int] = field(default_factory=set)  # enabled System Managers (all of them)
    trusted: bool = False  # a System Manager acts
    new_user_owner: dict[str, str] = field(default_factory=dict)  # emails of users this run creates -> HR id


def _read_run(live: list[Plan], *, today: dt.date) -> _Run:
    """The bulk reads of a run; sets each plan's existing record."""
    existing = _read_employees([p.record.employee for p in live])
    for plan in live:
        if plan.record.employee in existing:
            plan.record.keep_missing(existing[plan.record.employee])  # before its emails are looked up
    emails = {email for p in live for email in p.record.emails}
    users_by_email, users_by_pk = _read_users(emails, {row["user_id"] for row in existing.values() if row["user_id"]})
    run = _Run(
        users_by_pk=users_by_pk,
        users_by_email=users_by_email,
        students=_read_students(list(users_by_pk)),
        active_owner=_read_active_owners(list(users_by_pk)),
        staff=_read_staff(list(users_by_pk)),
        managers=_read_managers(),
    )
    for plan in live:
        plan.existing = old = existing.get(plan.record.employee)
        plan.stale = _is_stale(plan)
        if plan.stale:
            continue
        if old and old["status"] == EmployeeStatus.ACTIVE and old["user_id"] and not plan.record.is_active(today=today):
            # This record leaves active status in this run: its user is free for another active one.
            if run.active_owner.get(old["user_id"]) == plan.record.employee:
                del run.active_owner[old["user_id"]]
    return run


def _is_stale(plan: Plan) -> bool:
    """The record's HR `modified` is not newer than the stored one (a replayed or late document)."""
    old, modified = plan.existing, plan.record.modified_in_hr
    return bool(
        old and modified is not None and old["modified_in_hr"] is not None and modified <= old["modified_in_hr"]
    )


def fail(plan: Plan, error: DomainError) -> None:
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


def _read_users(emails: set[str], linked_ids: set[int]) -> tuple[dict[str, PlannedUser], dict[int, PlannedUser]]:
    by_email: dict[str, PlannedUser] = {}
    by_pk: dict[int, PlannedUser] = {}
    fields = ("email", "pk", "enabled", "password_set")
    for email, pk, enabled, password_set in _matching(User.objects.values_list(*fields), "email", emails):
        user = PlannedUser(pk, email, enabled, password_set)
        by_email[user.email] = by_pk[user.pk] = user
    for chunk in chunked(sorted(linked_ids - by_pk.keys()), READ_CHUNK):
        for email, pk, enabled, password_set in User.objects.filter(pk__in=chunk).values_list(*fields):
            user = PlannedUser(pk, email, enabled, password_set)
            by_email[user.email] = by_pk[user.pk] = user
    return by_email, by_pk


def _read_students(user_ids: list[int]) -> set[int]:
    queryset = student_memberships().values_list("user_id", flat=True)
    return set(_matching(queryset, "user_id", user_ids))


def _read_staff(user_ids: list[int]) -> set[int]:
    return set(_matching(staff_memberships().values_list("user_id", flat=True), "user_id", user_ids))


def _read_managers() -> set[int]:
    """Every enabled System Manager (a superuser counts): few, read whole, for the last one's guard."""
    return set(
        User.objects.filter(enabled=True)
        .filter(Q(is_superuser=True) | Q(pk__in=system_manager_memberships().values("user_id")))
        .values_list("pk", flat=True)
    )


def _read_active_owners(user_ids: list[int]) -> dict[int, str]:
    queryset = Employee.objects.filter(status=EmployeeStatus.ACTIVE, user__isnull=False).values_list(
        "user_id", "employee"
    )
    return dict(_matching(queryset, "user_id", user_ids))


def _decide(plan: Plan, run: _Run, *, today: dt.date) -> None:
    record = plan.record
    if plan.stale:
        plan.outcome.message = (
            f"not applied: HR modified {record.modified_in_hr.isoformat()} is not newer than "
            f"the stored {plan.existing['modified_in_hr'].isoformat()}"
        )
        return
    active = record.is_active(today=today)
    user = _find_user(plan, run, active=active)
    _check_staff_account(plan, user, run)
    notes: list[str] = []
    if active:
        _plan_active(plan, user, run, notes)
    elif user is not None and record.is_leaver(today=today) and user.enabled and user.pk not in run.active_owner:
        _plan_disable(plan, user, run)
    plan.user = user
    _plan_values(plan)
    plan.outcome.email = user.email if user else plan.new_user_email
    _set_outcome(plan, active=active, today=today, notes=notes)


def _check_staff_account(plan: Plan, user: PlannedUser | None, run: _Run) -> None:
    """Only a System Manager may link an HR record to an account holding a staff role (the account
    a record already links stays linked: its leaver is disabled, its rehire comes back a student)."""
    if user is None or run.trusted or user.pk not in run.staff:
        return
    old = plan.existing
    if not (old and old["user_id"] == user.pk):
        raise StaffAccount(email=user.email)


def _plan_disable(plan: Plan, user: PlannedUser, run: _Run) -> None:
    if user.pk in run.managers and len(run.managers) == 1:
        raise LastSystemManager(email=user.email)
    run.managers.discard(user.pk)
    plan.disable = True
    user.enabled = False


def _find_user(plan: Plan, run: _Run, *, active: bool) -> PlannedUser | None:
    """The record's user: the one its employee record links, else the first with one of its emails."""
    old = plan.existing
    user = run.users_by_pk.get(old["user_id"]) if old and old["user_id"] else None
    if user is not None:
        return user
    for email in plan.record.emails:
        if email in run.users_by_email:
            return run.users_by_email[email]
        if active and email in run.new_user_owner:
            # Another active record of this run creates the user with this email.
            raise UserLinkedToOtherEmployee(email=email, other=run.new_user_owner[email])
    return None


def _plan_active(plan: Plan, user: PlannedUser | None, run: _Run, notes: list[str]) -> None:
    """An active record: its user (or a new one) enabled, a student, held by this employee only."""
    hr_id = plan.record.employee
    if user is None:
        if plan.record.preferred_email:
            plan.new_user_email = plan.record.preferred_email
            run.new_user_owner[plan.record.preferred_email] = hr_id
            plan.invite = True
        return
    owner = run.active_owner.get(user.pk)
    if owner is not None and owner != hr_id:
        raise UserLinkedToOtherEmployee(email=user.email, other=owner)
    run.active_owner[user.pk] = hr_id
    if not user.enabled:
        plan.enable = True
        user.enabled = True  # later rows of this run see the planned state
        plan.invite = not user.password_set
        if user.pk in run.staff:
            plan.strip_staff = True  # a rehire comes back with LMS Student only
            run.staff.discard(user.pk)
            notes.append("staff roles removed")
    elif user.pk in run.staff and not run.trusted:
        return  # the roles of a staff account are a System Manager's to change
    plan.add_role = user.pk not in run.students and not plan.strip_staff
    if plan.add_role:
        run.students.add(user.pk)
        notes.append("LMS Student role added")


def _plan_values(plan: Plan) -> None:
    record, old, user = plan.record, plan.existing, plan.user
    values = record.employee_values()
    values["user_id"] = user.pk if user else None
    if record.modified_in_hr is not None:
        values["modified_in_hr"] = record.modified_in_hr
    plan.values = values
    plan.changed = [name for name, value in values.items() if old is None or old[name] != value]
    if old is not None:
        values["pk"] = old["pk"]


def _set_outcome(plan: Plan, *, active: bool, today: dt.date, notes: list[str]) -> None:
    old, email = plan.existing, plan.outcome.email
    if plan.enable:
        plan.outcome.action = REHIRE
        notes.insert(0, f"user {email} enabled again")
    elif plan.disable:
        plan.outcome.action = DISABLE
        notes.insert(0, f"user {email} disabled")
    elif old is None:
        plan.outcome.action = CREATE
    elif plan.changed or plan.add_role or plan.strip_staff or plan.new_user_email:
        plan.outcome.action = UPDATE
    if note := _user_note(plan, active=active, today=today):
        notes.append(note)
    changed = [name for name in plan.changed if name not in ("user_id", "modified_in_hr")]
    if old is not None and changed:
        notes.append("changed: " + ", ".join(changed))
    plan.outcome.message = "; ".join(notes)


def _user_note(plan: Plan, *, active: bool, today: dt.date) -> str:
    """What happened to the record's user, for the report ("" when nothing did)."""
    old, user, email = plan.existing, plan.user, plan.outcome.email
    if plan.new_user_email:
        return f"new user {email}" + (", set-password email to follow" if plan.invite else "")
    if user is not None and (old is None or old["user_id"] != user.pk):
        return f"linked to the existing user {email}"
    if user is None and plan.outcome.action == CREATE:
        if plan.record.is_leaver(today=today):
            return "no user (leaver)"
        return "no user (not active)" if not active else "no user (no email)"
    return ""
