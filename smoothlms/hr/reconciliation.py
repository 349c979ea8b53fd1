"""Roster reconciliation (CONTRACT.md section 8): an HR headcount export against a cohort's active
enrollments, every mismatch named with its fix.

Who is who. Each row of the export is one person. Their LMS users are found by the HR id first
(the Employee record with that id and its linked user), then by the match key (people.matching)
of each of the row's emails: User ID, Company Email, Personal Email. A user that the HR id of one
Active row claims is never counted as another Active row's alias, and a user that any Active row
claims is never a leaver's: one person rehired under a new HR id is not also "left".

What is counted. `hr_headcount`: the export's Active rows (one per HR id: a repeated id counts
once). `enrolled`: the cohort's active enrollments. `matched`: Active rows whose person is actively
enrolled, through any of their users.

What is found, per Active row: `missing_user` (no user at all), `rehire_duplicate` (a disabled
user and an enabled one), `duplicate_alias` (several enabled users), `user_disabled` (only
disabled users), `not_enrolled` (an enabled user, not in the cohort); per Left row:
`left_but_enrolled`; per enrolled member whom no row claims: `enrolled_not_in_hr`. Inactive and
Suspended rows are people HR still employs: their enrollment is not a mismatch, and they are not
headcount. Each finding's `detail` ends with the fix in the words of the enrollment guide's
troubleshooting table; `fix` carries the fix alone.

The file itself is read by csvio.employees (read_hr_export, reconcile_file); this module takes its
rows. Everything is read in bulk, a handful of queries whatever the size: the roster with its users'
addresses in one query, the export's HR ids' Employee records by id, and the other users that can
match in one streamed pass (match keys are not stored: the database gives, by the users' indexed
email domain, the addresses in the domains the export's keys fold from; their keys are computed here).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, Protocol

from django.db import connection, transaction
from django.utils import timezone

from smoothlms.catalog.models import Batch
from smoothlms.core.audit import record_event
from smoothlms.core.db import chunked, iterate_values, rows_by_key
from smoothlms.core.models import EventType
from smoothlms.enrollment.models import BatchEnrollment, EnrollmentStatus
from smoothlms.people.errors import UserExists
from smoothlms.people.matching import domains_folding_to, email_keys_matcher, email_matcher
from smoothlms.people.models import Employee, EmployeeStatus, User, normalize_email
from smoothlms.people.services import create_user

MISSING_USER = "missing_user"
USER_DISABLED = "user_disabled"
NOT_ENROLLED = "not_enrolled"
ENROLLED_NOT_IN_HR = "enrolled_not_in_hr"
LEFT_BUT_ENROLLED = "left_but_enrolled"
DUPLICATE_ALIAS = "duplicate_alias"
REHIRE_DUPLICATE = "rehire_duplicate"
KINDS = (
    MISSING_USER,
    USER_DISABLED,
    NOT_ENROLLED,
    ENROLLED_NOT_IN_HR,
    LEFT_BUT_ENROLLED,
    DUPLICATE_ALIAS,
    REHIRE_DUPLICATE,
)

# The fixes, in the words of the enrollment guide (troubleshooting table and roster reconciliation).
FIX_CREATE_USER = "Create User; link Employee.user_id"
FIX_ADD_EMAIL = "Add an email to the Employee record in HR, then Create User; link Employee.user_id"
FIX_ENROLL = "Enroll in the cohort"
FIX_SEATS = "Increase seats or create second batch"
FIX_STARTED = "Adjust dates or enroll via desk override policy"
FIX_ENDED = "The cohort has ended: enroll in another batch"
FIX_REENABLE = "Re-enable the User (rehires: the old account), then enroll if needed"
FIX_REHIRE = (
    "Confirm old User re-enabled rather than creating duplicate accounts: link the old user to "
    "Employee.user_id and disable the new one"
)
FIX_ALIAS = "Keep one User per person: link it to Employee.user_id and disable the duplicate aliases"
FIX_NOT_IN_HR = (
    "Check with HR: contractors need an HR employee record (or stay External); otherwise cancel the enrollment"
)
FIX_LEFT = "Cancel the enrollment (history is kept) and disable the User"

# What matching reads of each row, in this order (people_from_records unpacks them so): the HR id,
# the name, the status, then the emails in Frappe's preferred order.
EXPORT_FIELDS = ("employee", "employee_name", "status", "user_id", "company_email", "personal_email")
EMAIL_COLUMNS = EXPORT_FIELDS[3:]
USER_CHUNK = 5000  # rows per keyset page: a few pages, little held at once
MAX_DOMAINS = 1000  # each an index probe; an export naming more domains is compared with every user


@dataclass
class Finding:
    kind: str
    employee: str | None
    email: str
    detail: str
    fix: str
    users: list[str] = field(default_factory=list)  # the LMS users concerned, when there are several

    @property
    def key(self) -> str:
        """Names this finding among those of one report (the desk acts on findings by key)."""
        return f"{self.kind}:{self.employee or ''}:{self.email}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "employee": self.employee,
            "email": self.email,
            "detail": self.detail,
            "fix": self.fix,
            "users": list(self.users),
        }


@dataclass
class Reconciliation:
    batch: str
    hr_headcount: int
    enrolled: int
    matched: int
    findings: list[Finding]
    employee_names: dict[str, str] = field(default_factory=dict, repr=False)  # HR id -> name (to create users)

    def as_dict(self) -> dict[str, Any]:
        return {
            "batch": self.batch,
            "hr_headcount": self.hr_headcount,
            "enrolled": self.enrolled,
            "matched": self.matched,
            "findings": [finding.as_dict() for finding in self.findings],
        }

    def of_kind(self, kind: str) -> list[Finding]:
        return [finding for finding in self.findings if finding.kind == kind]

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(KINDS, 0)
        for finding in self.findings:
            counts[finding.kind] += 1
        return counts


@dataclass(slots=True)
class Person:
    """One person of the export, as little as matching needs (one is held per row, not the row)."""

    order: int
    employee: str  # "" when the row has none
    name: str
    emails: tuple[str, ...]  # trimmed, lower-cased, in Frappe's preferred order, without repeats
    status: str  # an EmployeeStatus value, or "" for text that is none of them
    users: tuple[int, ...] = ()  # their LMS users, each once
    linked: int | None = None  # the user of the Employee record with this HR id
    keys: tuple[str, ...] = ()  # the match keys of `emails`, in the same order

    @property
    def email(self) -> str:
        return self.emails[0] if self.emails else ""


@dataclass(slots=True)
class _User:
    pk: int
    email: str
    enabled: bool


# Reading the export's rows ------------------------------------------------------------------------


class ExportRow(Protocol):
    """One row of an HR export, as csvio's reader gives it: {fieldname: text} (csvio.employees
    reads the files)."""

    values: Mapping[str, str]


_STATUSES = {status.lower(): status for status in EmployeeStatus.values}


def people_from_rows(rows: Iterable[ExportRow], *, has_status: bool = True) -> list[Person]:
    """`people_from_records` for rows as csvio's reader gives them ({fieldname: text})."""
    fields = EXPORT_FIELDS
    records = (tuple((row.values.get(name) or "").strip() for name in fields) for row in rows)
    return people_from_records(records, has_status=has_status)


def people_from_records(records: Iterable[Sequence[str]], *, has_status: bool = True) -> list[Person]:
    """The people of an export: one per HR id (a repeated row is the same person), their emails
    normalised (people.models.normalize_email), their status (without a Status column, everyone is
    Active). Each record is the trimmed texts of EXPORT_FIELDS ("" for a column the export lacks),
    as csvio's TableStream.records gives them. `records` may be a stream: only the people are kept."""
    people: list[Person] = []
    append = people.append
    seen: set[str] = set()
    statuses = _STATUSES
    active = EmployeeStatus.ACTIVE
    normalize = normalize_email
    for order, (employee, name, status, user_id, company_email, personal_email) in enumerate(records):
        if employee:
            if employee in seen:
                continue  # one person per HR id: a repeated row is the same person
            seen.add(employee)
        if company_email and not user_id and not personal_email:  # the common case: one address
            email = normalize(company_email)
            emails: tuple[str, ...] = (email,) if email else ()
        else:  # in Frappe's preferred order (EMAIL_COLUMNS), each once
            given = (user_id, company_email, personal_email)
            emails = tuple(dict.fromkeys(email for email in map(normalize, given) if email))
        # An export without a Status column is a headcount list: everyone on it is Active.
        append(Person(order, employee, name, emails, statuses.get(status.lower(), "") if has_status else active))
    return people


# Reading the LMS side --------------------------------------------------------------------------


def _read_roster(batch: Batch) -> dict[int, _User]:
    """The cohort's actively enrolled members, with their addresses: one SELECT (what any
    comparison reads). The roster is held anyway; its users are most of those a report names."""
    quote = connection.ops.quote_name
    sql = (
        f"SELECT u.id, u.email, u.enabled FROM {quote(BatchEnrollment._meta.db_table)} e "
        f"JOIN {quote(User._meta.db_table)} u ON u.id = e.member_id WHERE e.batch_id = %s AND e.status = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [batch.pk, EnrollmentStatus.ACTIVE])
        return {pk: _User(pk, email, bool(enabled)) for pk, email, enabled in cursor.fetchall()}


def _read_linked_users(hr_ids: Sequence[str]) -> dict[str, int | None]:
    """{HR id: its Employee record's user id} for the ids that have a record, looked up by HR id in
    one statement (core.db.rows_by_key): the work follows the export, not the Employee table (every
    record HR ever sent, leavers too)."""
    return dict(rows_by_key(Employee, "employee", list(dict.fromkeys(hr_ids)), ("user_id",)))


def _read_member_employees(batch: Batch) -> dict[int, str]:
    """{member id: HR id} of enrolled members with an Employee record (the Active one first)."""
    found: dict[int, str] = {}
    rows = Employee.objects.filter(
        user__batch_enrollments__batch=batch,
        user__batch_enrollments__status=EnrollmentStatus.ACTIVE,
    ).values_list("user_id", "employee", "status")
    for user_id, employee, status in rows:
        if user_id not in found or status == EmployeeStatus.ACTIVE:
            found[user_id] = employee
    return found


def _read_users(
    batch: Batch, keys: set[str], ids: set[int], keys_of, members: Mapping[int, _User]
) -> tuple[dict[int, _User], dict[str, list[int]]]:
    """Users whose match key is in `keys` or whose id is in `ids` (the HR ids' users), with the
    cohort's `members` (the roster, read already), and {match key: user ids}. `keys_of` gives the
    match keys of stored addresses (normalised), taken as they are.

    Match keys are not stored, so the database is asked, beside the roster, for the other addresses
    that can have these keys: those in the keys' domains (people.matching.domains_folding_to), found
    by User.email_domain's index. The work then follows the export's domains, not the number of
    users. An export naming more than MAX_DOMAINS domains is compared with every user (one streamed
    pass)."""
    users: dict[int, _User] = dict(members)
    by_key: dict[str, list[int]] = {}
    for user, key in zip(members.values(), keys_of([user.email for user in members.values()]), strict=True):
        if key in keys:
            by_key.setdefault(key, []).append(user.pk)
    domains = domains_folding_to({key.rpartition("@")[2] for key in keys if "@" in key})
    key_of = email_matcher(normalized=True)  # for the streamed rows, one at a time
    enrolled = BatchEnrollment.objects.filter(batch=batch, status=EnrollmentStatus.ACTIVE).values("member_id")
    others = User.objects.exclude(pk__in=enrolled)  # IN, not NOT EXISTS per user: the roster is hashed once
    if len(domains) <= MAX_DOMAINS:  # by the stored, indexed domain: the work follows the export's domains
        others = others.filter(email_domain__in=sorted(domains))
    for pk, email, enabled in iterate_values(others, ("id", "email", "enabled"), chunk_size=USER_CHUNK):
        key = key_of(email)
        if key in keys:
            by_key.setdefault(key, []).append(pk)
        elif pk not in ids:
            continue
        users[pk] = _User(pk, email, enabled)
    # The HR ids' users in other domains (a record linked to a personal address, say), by id.
    missing = sorted(ids - users.keys())
    for chunk in chunked(missing, USER_CHUNK):
        for pk, email, enabled in User.objects.filter(pk__in=chunk).values_list("id", "email", "enabled"):
            users[pk] = _User(pk, email, enabled)
    return users, by_key


# The comparison --------------------------------------------------------------------------------


def get_roster_reconciliation(*, batch: Batch, rows: Iterable[ExportRow], has_status: bool = True) -> Reconciliation:
    """Compare HR export rows with `batch`'s active enrollments (read only; see the module's doc).
    `has_status`: whether the export has a Status column (without one, every row is Active)."""
    return reconcile_people(batch=batch, people=people_from_rows(rows, has_status=has_status))


def reconcile_people(*, batch: Batch, people: list[Person]) -> Reconciliation:
    """`get_roster_reconciliation` for an export already read into people (`people_from_rows`,
    which a caller can feed a stream of rows, so that the file is never held whole)."""
    members = _read_roster(batch)
    roster = set(members)
    users = _match(batch, people, members)
    active = [p for p in people if p.status == EmployeeStatus.ACTIVE]
    findings: list[Finding] = []
    matched = 0
    not_enrolled: list[Finding] = []
    for person in active:
        mine = person.users
        if len(mine) == 1 and mine[0] in roster and users[mine[0]].enabled:
            matched += 1  # the common case, answered here: one enabled user, enrolled
        else:
            matched += _check_active(person, users, roster, findings, not_enrolled)
    # Seats left as the roster read above counts them (active enrollments are the seats taken).
    free = None if batch.seat_count is None else max(batch.seat_count - len(roster), 0)
    _assign_enroll_fixes(batch, not_enrolled, free=free)
    findings.extend(_leavers(people, users, roster))
    findings.extend(_not_in_hr(batch, people, users, roster))
    order = {kind: index for index, kind in enumerate(KINDS)}
    findings.sort(key=lambda f: order[f.kind])  # stable: export order within a kind
    return Reconciliation(
        batch=batch.name,
        hr_headcount=len(active),
        enrolled=len(roster),
        matched=matched,
        findings=findings,
        employee_names={p.employee: p.name for p in active if p.employee},
    )


def _match(batch: Batch, people: list[Person], members: dict[int, _User]) -> dict[int, _User]:
    """Sets each person's `linked`, `keys` and `users`; returns the users concerned (theirs and the
    roster's), by id."""
    keys_of = email_keys_matcher()  # people_from_records and stored addresses are normalised
    linked = _read_linked_users([p.employee for p in people if p.employee])
    folded = iter(keys_of([email for person in people for email in person.emails]))
    for person in people:
        person.linked = linked.get(person.employee) if person.employee else None
        count = len(person.emails)
        person.keys = (next(folded),) if count == 1 else tuple(islice(folded, count))
    keys = {key for person in people for key in person.keys}
    wanted_ids = {p.linked for p in people if p.linked}
    users, by_key = _read_users(batch, keys, wanted_ids, keys_of, members)
    active_status = EmployeeStatus.ACTIVE.value
    active = [p for p in people if p.status == active_status]
    # A user linked through the HR id of an Active row belongs to that row only.
    owner = {p.linked: p.employee for p in active if p.linked}
    for person in active:
        me = person.employee
        _resolve(person, by_key, lambda pk, me=me: owner.get(pk, me) == me)
    claimed = {pk for person in active for pk in person.users}
    for person in people:
        if person.status != active_status:
            _resolve(person, by_key, lambda pk: pk not in claimed)
    return users


def _resolve(person: Person, by_key: dict[str, list[int]], may_take) -> None:
    """The person's users: the HR id's user, then every user whose match key is one of theirs."""
    if person.linked is None and len(person.keys) == 1:  # the common case: one address, no HR link
        found = by_key.get(person.keys[0], ())
        if len(found) == 1:
            if may_take(found[0]):
                person.users = (found[0],)
            return
    mine: list[int] = []
    if person.linked and may_take(person.linked):
        mine.append(person.linked)
    for key in person.keys:
        for pk in by_key.get(key, ()):
            if pk not in mine and may_take(pk):
                mine.append(pk)
    if mine:
        person.users = tuple(mine)


def _leavers(people: list[Person], users: dict[int, _User], roster: set[int]) -> Iterator[Finding]:
    for person in people:
        if person.status == EmployeeStatus.LEFT:
            enrolled = sorted(pk for pk in person.users if pk in roster)
            if enrolled:
                emails = [users[pk].email for pk in enrolled]
                yield _finding(
                    LEFT_BUT_ENROLLED,
                    person,
                    emails[0],
                    FIX_LEFT,
                    "Left in HR but actively enrolled in this cohort",
                    users=emails if len(emails) > 1 else [],
                )


def _not_in_hr(batch: Batch, people: list[Person], users: dict[int, _User], roster: set[int]) -> Iterator[Finding]:
    """Members whom no row claims, with their Employee record's HR id when they have one."""
    attributed = {pk for person in people for pk in person.users}
    unclaimed = roster - attributed
    member_employees = _read_member_employees(batch) if unclaimed else {}
    for pk in sorted(unclaimed, key=lambda pk: users[pk].email):
        hr_id = member_employees.get(pk)
        detail = "Enrolled, but not in the HR export" + (
            f" (Employee record {hr_id})" if hr_id else " and no HR employee record"
        )
        email = users[pk].email
        yield Finding(ENROLLED_NOT_IN_HR, hr_id, email, f"{detail}. Fix: {FIX_NOT_IN_HR}.", FIX_NOT_IN_HR)


def _finding(kind: str, person: Person, email: str, fix: str, what: str, *, users: list[str] | None = None) -> Finding:
    return Finding(kind, person.employee or None, email, f"{what}. Fix: {fix}.", fix, users or [])


def _preferred_user(person: Person, candidates: list[_User]) -> _User:
    """Of several users of one person: the HR id's user, else the one with the preferred email."""
    for user in candidates:
        if user.pk == person.linked:
            return user
    for email in person.emails:
        for user in candidates:
            if user.email == email:
                return user
    return min(candidates, key=lambda user: user.pk)


def _check_active(
    person: Person,
    users: dict[int, _User],
    roster: set[int],
    findings: list[Finding],
    not_enrolled: list[Finding],
) -> int:
    """Findings of one Active row; returns 1 when the person is actively enrolled (matched)."""
    if not person.users:
        if person.emails:
            what = f"No LMS user has {' or '.join(person.emails)}" + (
                "" if person.employee else " (the row has no HR id)"
            )
            findings.append(_finding(MISSING_USER, person, person.email, FIX_CREATE_USER, what))
        else:
            findings.append(_finding(MISSING_USER, person, "", FIX_ADD_EMAIL, "The HR record has no email"))
        return 0
    mine = sorted((users[pk] for pk in person.users), key=lambda user: user.pk)
    enabled = [user for user in mine if user.enabled]
    disabled = [user for user in mine if not user.enabled]
    emails = [user.email for user in mine]
    if enabled and disabled:
        findings.append(
            _finding(
                REHIRE_DUPLICATE,
                person,
                person.email or enabled[0].email,
                FIX_REHIRE,
                f"One person, a disabled old user ({', '.join(u.email for u in disabled)}) and a new one "
                f"({', '.join(u.email for u in enabled)})",
                users=emails,
            )
        )
    if len(enabled) > 1:
        findings.append(
            _finding(
                DUPLICATE_ALIAS,
                person,
                person.email or enabled[0].email,
                FIX_ALIAS,
                f"One person, {len(enabled)} enabled users: {', '.join(u.email for u in enabled)}",
                users=emails,
            )
        )
    if not enabled:
        user = _preferred_user(person, disabled)
        findings.append(
            _finding(USER_DISABLED, person, user.email, FIX_REENABLE, "Active in HR but the LMS user is disabled")
        )
    if any(pk in roster for pk in person.users):
        return 1
    if enabled:
        user = _preferred_user(person, enabled)
        finding = _finding(NOT_ENROLLED, person, user.email, FIX_ENROLL, "Active in HR, not enrolled in this cohort")
        findings.append(finding)
        not_enrolled.append(finding)
    return 0


def _assign_enroll_fixes(batch: Batch, findings: list[Finding], *, free: int | None) -> None:
    """The fix of each not_enrolled finding: enroll, unless the cohort cannot take them (ended,
    started, or too few seats left: seats go to the rows in export order, as bulk enrollment does)."""
    now = timezone.now()
    if batch.has_ended(at=now):
        fix = FIX_ENDED
    elif batch.has_started(at=now):
        fix = FIX_STARTED
    else:
        fix = ""
    for index, finding in enumerate(findings):
        chosen = fix or (FIX_SEATS if free is not None and index >= free else FIX_ENROLL)
        if chosen == FIX_SEATS:
            what = (
                f"Active in HR, not enrolled in this cohort; {free} seat{'' if free == 1 else 's'} left for "
                f"{len(findings)} people"
            )
        else:
            what = "Active in HR, not enrolled in this cohort"
        finding.fix = chosen
        finding.detail = f"{what}. Fix: {chosen}."


# Acting on findings ----------------------------------------------------------------------------


@transaction.atomic(durable=True)
def create_missing_user(*, email: str, full_name: str = "", employee: str | None = None, actor: User | None) -> User:
    """The fix of a missing_user finding: "Create User; link Employee.user_id".

    Rules: the email is valid and unused in any case (people.services.create_user: InvalidEmail,
    UserExists). When an Employee record with HR id `employee` exists and has no user, it is linked
    to the new user (a record already linked to someone is left alone). Side effects: the user
    (LMS Student, no password yet), audit events for the user and for the link. An existing user
    whose address is an alias of `email` (people.matching) is the same person: UserExists naming it,
    never a duplicate account."""
    _refuse_alias(email)
    user = create_user(email=email, full_name=full_name, actor=actor)
    if employee:
        now = timezone.now()
        # The condition is the guard: a record that got a user meanwhile is not relinked.
        if Employee.objects.filter(employee=employee, user__isnull=True).update(user=user, updated_at=now):
            record_event(
                EventType.EMPLOYEE_CHANGED,
                actor=actor,
                member=user,
                reason="roster reconciliation",
                before={"employee": employee, "user_id": None},
                after={"employee": employee, "user_id": user.email},
            )
    return user


def _refuse_alias(email: str) -> None:
    """UserExists when a user's address has the match key of `email`. Every fold keeps the first
    letter of the local part, so only users starting with it are compared."""
    key_of = email_matcher()
    key = key_of(email)
    first = normalize_email(email)[:1]
    if not first:
        return
    for other in User.objects.filter(email__startswith=first).values_list("email", flat=True).iterator():
        if key_of(other) == key:
            raise UserExists(email=other)
