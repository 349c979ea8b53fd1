"""Enrolling many members: the API's bulk call, the CSV import (and its dry run), HR rules.

Users, roles, existing enrollments and courses are read in bulk; each chunk is one transaction that
takes the cohort's row lock once and asks `refusal_for` per member. A dry run is the same path inside
one transaction that is rolled back at the end, so it answers exactly what the real run will.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, replace

from django.db import connection, transaction
from django.utils import timezone

from smoothlms.catalog.models import Batch
from smoothlms.core.bulk import insert_rows
from smoothlms.core.db import any_of, chunked
from smoothlms.core.errors import DomainError
from smoothlms.core.models import EventType
from smoothlms.enrollment.errors import AlreadyEnrolled, CohortFull
from smoothlms.enrollment.locks import lock_batches
from smoothlms.enrollment.models import BatchEnrollment, EnrollmentStatus, MemberType, Source
from smoothlms.enrollment.rules import CohortFacts, EnrollRequest, MemberFacts, refusal_for
from smoothlms.enrollment.services.access import grant_course_access
from smoothlms.enrollment.services.events import record_enrollment_events
from smoothlms.enrollment.services.facts import MembersRead, is_active, reload_cohort_facts
from smoothlms.enrollment.services.seats import overrides_start, seat_fields, take_seats
from smoothlms.enrollment.services.waitlist import waitlist_fields, waits_instead
from smoothlms.enrollment.signals import queue_confirmation_emails
from smoothlms.people.models import User, normalize_email

BULK_CHUNK = 1000


@dataclass(frozen=True)
class MemberResult:
    member: str
    status: str  # created | waitlisted | skipped | failed
    code: str = ""
    message: str = ""


class OutcomeCounts:
    """created / skipped / failed over `outcomes()`: shared by bulk results and import reports."""

    def outcomes(self) -> Sequence[MemberResult]:
        raise NotImplementedError

    def count(self, status: str) -> int:
        return sum(1 for outcome in self.outcomes() if outcome.status == status)

    @property
    def created(self) -> int:
        return self.count("created")

    @property
    def waitlisted(self) -> int:
        return self.count("waitlisted")

    @property
    def skipped(self) -> int:
        return self.count("skipped")

    @property
    def failed(self) -> int:
        return self.count("failed")


@dataclass
class BulkResult(OutcomeCounts):
    results: list[MemberResult]

    def outcomes(self) -> Sequence[MemberResult]:
        return self.results


@dataclass(frozen=True)
class BulkGroup:
    """Members (emails) to enroll into one cohort, with the late-join reason that goes with them."""

    batch: Batch
    members: Sequence[str]
    reason: str = ""


def _failure(member: str, error: DomainError) -> MemberResult:
    status = "skipped" if isinstance(error, AlreadyEnrolled) else "failed"
    return MemberResult(member, status, error.code, error.user_message())


def bulk_enroll(
    *,
    batch: Batch,
    members: Sequence[str],
    actor: User | None,
    source: Source | str,
    override_start: bool = False,
    reason: str = "",
    notify: bool = True,
    dry_run: bool = False,
    chunk_size: int = BULK_CHUNK,
    origin: Mapping[str, str] | None = None,
) -> BulkResult:
    """Enroll many members (emails), in order, with the rules of `enroll` for each.

    Per member: created, skipped (already enrolled, or listed twice) or failed with the
    contract's code and message; seats are filled in order until the cohort is full. Each chunk
    is one transaction. `dry_run` answers what would happen and writes nothing. Refusals of the
    whole request (checks 1-3) raise."""
    return bulk_enroll_groups(
        [BulkGroup(batch=batch, members=members, reason=reason)],
        actor=actor,
        source=source,
        override_start=override_start,
        notify=notify,
        dry_run=dry_run,
        chunk_size=chunk_size,
        origin=origin,
    )[0]


def bulk_enroll_groups(
    groups: Sequence[BulkGroup],
    *,
    actor: User | None,
    source: Source | str,
    override_start: bool = False,
    notify: bool = True,
    dry_run: bool = False,
    chunk_size: int = BULK_CHUNK,
    progress: Callable[[int], None] | None = None,
    origin: Mapping[str, str] | None = None,
) -> list[BulkResult]:
    """`bulk_enroll` for several groups (cohort, members, reason) in order: one result per group.

    Rules: those of `bulk_enroll`; the refusals of every group as a whole (checks 1-3) raise before
    anything is written. A member listed again in a later group of the same cohort is skipped, as
    the real run finds them enrolled. `dry_run` runs the real path for every group inside one
    transaction that is rolled back: later chunks and groups see the seats and members earlier
    ones would take, so the answer is what the real run gives. `progress` is called with the
    number of members done after each chunk. Side effects (not on a dry run): enrollments, course
    access, audit events (naming `origin` when given), confirmation emails after commit unless
    `notify` is off."""
    requests = [
        EnrollRequest(
            batch=group.batch,
            actor=actor,
            is_self=False,
            override_start=override_start,
            reason=(group.reason or "").strip(),
            origin=origin,
        )
        for group in groups
    ]
    for request in requests:
        if (error := refusal_for(request)) is not None:
            raise error
    with _dry_run([request.batch for request in requests]) if dry_run else nullcontext():
        each_chunk = nullcontext if dry_run else _durable
        return [
            BulkResult(
                _enroll_group(
                    request,
                    group.members,
                    chunk_size=chunk_size,
                    each_chunk=each_chunk,
                    source=source,
                    notify=notify,
                    progress=progress,
                )
            )
            for request, group in zip(requests, groups, strict=True)
        ]


def _durable() -> AbstractContextManager:
    return transaction.atomic(durable=True)


@contextmanager
def _dry_run(batches: list[Batch]) -> Iterator[None]:
    """One transaction around the whole run, rolled back at the end. Every cohort is locked up
    front, in pk order: a dry run holds them all at once, and two of them must not deadlock."""
    with transaction.atomic():
        lock_batches(*{batch.pk: batch for batch in batches}.values())
        yield
        transaction.set_rollback(True)


def _enroll_group(
    request: EnrollRequest,
    members: Sequence[str],
    *,
    chunk_size: int,
    each_chunk: Callable[[], AbstractContextManager],
    source: Source | str,
    notify: bool,
    progress: Callable[[int], None] | None,
) -> list[MemberResult]:
    results: list[MemberResult] = []
    seen: set[str] = set()
    for chunk in chunked(members, chunk_size):
        with each_chunk():
            results.extend(_enroll_chunk(request, chunk, seen, source=source, notify=notify))
        if progress:
            progress(len(chunk))
    return results


def _enroll_chunk(
    request: EnrollRequest, members: list[str], seen: set[str], *, source: Source | str, notify: bool
) -> list[MemberResult]:
    batch = request.batch
    now = timezone.now()
    # Once per chunk, the cohort locked and reloaded: seats, then the committed enrollments, are read under it.
    cohort = reload_cohort_facts(batch, now=now, lock=True)
    emails = [normalize_email(member) for member in members]
    read = MembersRead.of(batch, emails)
    results: list[MemberResult] = []
    to_create: list[User] = []
    to_reactivate: list[BatchEnrollment] = []
    to_wait: list[User | BatchEnrollment] = []
    for email in emails:
        user = read.users.get(email)
        row = read.enrollments.get(user.pk) if user else None
        facts = MemberFacts(
            email=email,
            user=user,
            is_student=user is not None and user.pk in read.students,
            is_enrolled=email in seen or is_active(row),
        )
        error = refusal_for(request, facts, cohort)
        if user is not None and waits_instead(error, batch):
            seen.add(email)
            to_wait.append(row or user)
            results.append(MemberResult(email, "waitlisted"))
            continue
        if error is not None:
            results.append(_failure(email, error))
            continue
        seen.add(email)
        cohort = _one_seat_fewer(cohort)
        if row is not None:
            to_reactivate.append(row)
        elif user is not None:
            to_create.append(user)
        results.append(MemberResult(email, "created"))
    _seat_members(request, to_create, to_reactivate, employees=read.employees, source=source, notify=notify, now=now)
    _wait_members(request, to_wait, employees=read.employees, source=source, now=now)
    return results


def _wait_members(
    request: EnrollRequest,
    to_wait: list[User | BatchEnrollment],
    *,
    employees: set[int],
    source: Source | str,
    now: dt.datetime,
) -> None:
    """Put the chunk's members at the end of the waitlist, in the order listed (one microsecond
    apart, so a reactivated row with an older pk does not jump ahead of a new one)."""
    if not to_wait:
        return
    batch, actor = request.batch, request.actor
    new_rows, member_ids = [], []
    for index, item in enumerate(to_wait):
        member_id = item.member_id if isinstance(item, BatchEnrollment) else item.pk
        member_ids.append(member_id)
        at = now + dt.timedelta(microseconds=index)
        if isinstance(item, BatchEnrollment):
            fields = waitlist_fields(actor=actor, source=source, at=at)
            member_type = _member_type(member_id, employees)
            BatchEnrollment.objects.filter(pk=item.pk).update(updated_at=now, member_type=member_type, **fields)
        else:
            new_rows.append(
                {"member_id": member_id, "member_type": _member_type(member_id, employees), "waitlisted_at": at}
            )
    fixed = {k: v for k, v in waitlist_fields(actor=actor, source=source, at=now).items() if k != "waitlisted_at"}
    insert_rows(BatchEnrollment, new_rows, fixed={"batch": batch, "created_at": now, "updated_at": now, **fixed})
    record_enrollment_events(
        EventType.WAITLISTED,
        batch=batch,
        member_ids=member_ids,
        actor=actor,
        source=source,
        reason="",
        after=request.audited({"status": EnrollmentStatus.WAITLISTED}),
        at=now,
    )


def _member_type(member_id: int, employees: set[int]) -> str:
    return MemberType.EMPLOYEE.value if member_id in employees else MemberType.EXTERNAL.value


def _one_seat_fewer(cohort: CohortFacts) -> CohortFacts:
    return cohort if cohort.free_seats is None else replace(cohort, free_seats=cohort.free_seats - 1)


def _seat_members(
    request: EnrollRequest,
    to_create: list[User],
    to_reactivate: list[BatchEnrollment],
    *,
    employees: set[int],
    source: Source | str,
    notify: bool,
    now: dt.datetime,
) -> None:
    """Write the seats of one chunk: new rows in one INSERT, reactivations in one UPDATE per member
    type, course access and audit events in one INSERT ... SELECT each."""
    batch, actor = request.batch, request.actor
    taken = len(to_create) + len(to_reactivate)
    if not taken:
        return
    if not take_seats(batch, taken):  # cannot happen under the lock; the constraint backs it anyway
        raise CohortFull()
    overridden = overrides_start(batch, override_start=request.override_start, now=now)
    reason = request.reason if overridden else ""
    fields = seat_fields(actor=actor, source=source, override_reason=reason, notify=notify)
    insert_rows(
        BatchEnrollment,
        [{"member_id": user.pk, "member_type": _member_type(user.pk, employees)} for user in to_create],
        fixed={"batch": batch, "created_at": now, "updated_at": now, **fields},
    )
    for member_type in (MemberType.EMPLOYEE, MemberType.EXTERNAL):
        ids = [e.pk for e in to_reactivate if (e.member_id in employees) == (member_type == MemberType.EMPLOYEE)]
        if ids:
            BatchEnrollment.objects.filter(pk__in=ids).update(member_type=member_type, updated_at=now, **fields)
    member_ids = [u.pk for u in to_create] + [e.member_id for e in to_reactivate]
    grant_course_access(batch=batch, member_ids=member_ids)
    after = request.audited({"status": EnrollmentStatus.ACTIVE, "override_start": overridden})
    common_event = {"batch": batch, "actor": actor, "source": source, "at": now}
    record_enrollment_events(
        EventType.ENROLLED, member_ids=[u.pk for u in to_create], after=after, reason=reason, **common_event
    )
    record_enrollment_events(
        EventType.REACTIVATED,
        member_ids=[e.member_id for e in to_reactivate],
        after=after,
        reason=reason,
        **common_event,
    )
    if overridden:
        record_enrollment_events(
            EventType.OVERRIDE,
            member_ids=member_ids,
            reason=request.reason,
            after={"starts_at": batch.starts_at.isoformat()},
            **common_event,
        )
    if notify:
        queue_confirmation_emails(enrollment_ids=_enrollment_ids(batch, member_ids))


def _enrollment_ids(batch: Batch, member_ids: list[int]) -> list[int]:
    """The ids of these members' rows in `batch`, in pk order (raw SQL: core.db.any_of)."""
    quote = connection.ops.quote_name
    members, params = any_of("member_id", member_ids)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM {quote(BatchEnrollment._meta.db_table)} WHERE batch_id = %s AND {members} ORDER BY id",
            [batch.pk, *params],
        )
        return [pk for (pk,) in cursor.fetchall()]
