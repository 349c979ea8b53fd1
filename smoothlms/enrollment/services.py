"""Enrollment: one set of rules for every path (desk, portal, API, CSV import, HR rules).

The checks run in the order of CONTRACT.md section 6; the first that fails answers. Seats are
taken with one conditional UPDATE of the batch row inside the enrolling transaction (a row lock
held until commit, serialising only the enrollments of that cohort), with the CheckConstraint
`batch_seats_within_seat_count` behind it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from smoothlms.catalog.locks import lock_batches
from smoothlms.catalog.models import Batch, BatchCourse, LateJoinPolicy
from smoothlms.core.audit import record_event
from smoothlms.core.db import chunked, violated_constraint
from smoothlms.core.errors import DomainError
from smoothlms.core.models import EnrollmentEvent, EventType
from smoothlms.enrollment.errors import (
    AlreadyEnrolled,
    BatchNotFound,
    CannotCancelOthers,
    CannotEnrollOthers,
    CohortEnded,
    CohortFull,
    CohortNotPublished,
    CohortStarted,
    CourseNotPublished,
    NotAStudent,
    NotEnrolled,
    OverrideReasonRequired,
    PaymentMissing,
    SelfEnrollmentClosed,
    UserDisabled,
)
from smoothlms.enrollment.models import (
    BatchEnrollment,
    CourseEnrollment,
    EmailStatus,
    EnrollmentStatus,
    MemberType,
    Payment,
    PaymentStatus,
    Source,
)
from smoothlms.enrollment.signals import queue_confirmation_emails
from smoothlms.people.errors import UserNotFound
from smoothlms.people.models import Employee, User, normalize_email
from smoothlms.people.roles import Role

BULK_CHUNK = 1000


# Checks shared by the single and bulk paths ------------------------------------------------------


def _is_moderator(actor: User | None) -> bool:
    """None is the system itself (HR rules, the command line): it acts with a moderator's rights."""
    return actor is None or actor.has_role(Role.MODERATOR, Role.SYSTEM_MANAGER)


def _check_request(*, batch: Batch, actor: User | None, enrolls_others: bool, override_start: bool,
                   reason: str) -> None:
    """Checks 1-3: the cohort is visible, the actor may do this, an override has its reason."""
    if not batch.published and actor is not None and not actor.is_staff:
        raise BatchNotFound(name=batch.name)
    if (enrolls_others or override_start) and not _is_moderator(actor):
        raise CannotEnrollOthers()
    if override_start and not reason.strip():
        raise OverrideReasonRequired()


def _check_member(member: User, *, is_student: bool) -> None:
    """Checks 5-6."""
    if not member.enabled:
        raise UserDisabled(email=member.email)
    if not is_student:
        raise NotAStudent(email=member.email)


def _check_batch_open(batch: Batch, unpublished_course: str | None, *, now: dt.datetime) -> None:
    """Checks 7-9: the cohort and its courses are published and the cohort has not ended."""
    if not batch.published:
        raise CohortNotPublished()
    if unpublished_course:
        raise CourseNotPublished(course=unpublished_course)
    if batch.has_ended(at=now):
        raise CohortEnded()


def _check_started(batch: Batch, *, override_start: bool, now: dt.datetime) -> None:
    """Check 11: after the start only with a moderator's override (or an open late-join policy)."""
    if batch.has_started(at=now) and not override_start and batch.late_join_policy != LateJoinPolicy.OPEN_UNTIL_END:
        raise CohortStarted()


def _unpublished_course(batch: Batch) -> str | None:
    return (BatchCourse.objects.filter(batch=batch, course__published=False)
            .order_by("position", "id").values_list("course__name", flat=True).first())


def _has_student_role(user: User) -> bool:
    return Role.LMS_STUDENT in user.role_names


def _member_type(user: User) -> str:
    return MemberType.EMPLOYEE if Employee.objects.filter(user=user).exists() else MemberType.EXTERNAL


def _received_payment(*, batch: Batch, member: User) -> Payment | None:
    return (Payment.objects.filter(batch=batch, member=member, status=PaymentStatus.RECEIVED)
            .order_by("-received_at", "-id").first())


def _take_seats(batch: Batch, count: int) -> bool:
    """Take `count` seats if that many are free: one conditional UPDATE, which row-locks the batch
    until commit. False when the cohort has fewer free seats."""
    if count == 0:
        return True
    free = Q(seat_count__isnull=True) | Q(seat_count__gte=F("seats_taken") + count)
    return Batch.objects.filter(free, pk=batch.pk).update(seats_taken=F("seats_taken") + count) == 1


def grant_course_access(*, batch: Batch, member_ids: Sequence[int]) -> int:
    """One course enrollment per (member, cohort course) for the given members; existing ones (and
    their progress) are kept. One INSERT ... SELECT per call: the rows never pass through Python,
    which keeps large rosters fast (see bench/). Returns the number of rows inserted."""
    if not member_ids:
        return 0
    quote = connection.ops.quote_name
    course_table = quote(CourseEnrollment._meta.db_table)
    link_table = quote(BatchCourse._meta.db_table)
    placeholders = ", ".join(["%s"] * len(member_ids))
    now = timezone.now()
    select = (f"SELECT m.member_id, bc.course_id, %s, 0, %s, %s FROM {link_table} bc "
              f"CROSS JOIN (SELECT id AS member_id FROM {quote(User._meta.db_table)} WHERE id IN ({placeholders})) m "
              "WHERE bc.batch_id = %s")
    columns = "(member_id, course_id, enrollment_from_batch_id, progress, created_at, updated_at)"
    if connection.vendor == "mysql":
        # An existing (member, course) row is exactly what we want to keep: a no-op update.
        keep = f"{course_table}.id = {course_table}.id"
        sql = f"INSERT INTO {course_table} {columns} {select} ON DUPLICATE KEY UPDATE {keep}"
    else:
        sql = f"INSERT INTO {course_table} {columns} {select} ON CONFLICT (member_id, course_id) DO NOTHING"
    with connection.cursor() as cursor:
        cursor.execute(sql, [batch.pk, now, now, *member_ids, batch.pk])
        return cursor.rowcount


# One member -----------------------------------------------------------------------------------


@transaction.atomic(durable=True)
def enroll(
    *,
    batch: Batch,
    member: User | str,
    actor: User | None,
    source: Source | str,
    override_start: bool = False,
    reason: str = "",
    notify: bool = True,
    payment: Payment | None = None,
) -> BatchEnrollment:
    """Give `member` a seat in `batch`.

    Rules, in the contract's order: visible cohort; only moderators enroll others or override
    the start; an override needs a reason; the member exists, is enabled and has the LMS Student
    role; the cohort and its courses are published; not ended; not already enrolled; not started
    (unless overridden); self-enrollment open and paid for (self only); a seat free.
    Side effects: the enrollment (or the reactivation of a cancelled one), course enrollments for
    the cohort's courses, an audit event, the confirmation email after commit (unless `notify`
    is off)."""
    reason = (reason or "").strip()
    is_self = isinstance(member, User) and actor is not None and member.pk == actor.pk
    if isinstance(member, str):
        is_self = actor is not None and normalize_email(member) == actor.email
    _check_request(batch=batch, actor=actor, enrolls_others=not is_self, override_start=override_start,
                   reason=reason)
    if isinstance(member, str):
        email = normalize_email(member)
        found = User.objects.filter(email=email).first()
        if found is None:
            raise UserNotFound(email=email or "(blank)")
        member = found
    batch.refresh_from_db()  # the committed state: SQLite's IMMEDIATE transaction already holds the write lock
    now = timezone.now()
    _check_member(member, is_student=_has_student_role(member))
    _check_batch_open(batch, _unpublished_course(batch), now=now)
    existing = BatchEnrollment.objects.filter(batch=batch, member=member).first()
    if existing is not None and existing.status == EnrollmentStatus.ACTIVE:
        raise AlreadyEnrolled.for_member(email=member.email, is_self=is_self)
    _check_started(batch, override_start=override_start, now=now)
    if is_self and not batch.allow_self_enrollment:
        raise SelfEnrollmentClosed()
    if batch.paid_batch and is_self:
        payment = payment or _received_payment(batch=batch, member=member)
        if payment is None or payment.status != PaymentStatus.RECEIVED or payment.member_id != member.pk \
                or payment.batch_id != batch.pk:
            raise PaymentMissing()
    if not _take_seats(batch, 1):
        raise CohortFull()

    overridden = override_start and batch.has_started(at=now)
    fields = {
        "status": EnrollmentStatus.ACTIVE,
        "source": str(source),
        "member_type": _member_type(member),
        "payment": payment,
        "override_reason": reason if overridden else "",
        "created_by": actor,
        "cancelled_at": None,
        "confirmation_email_status": EmailStatus.PENDING if notify else EmailStatus.SKIPPED,
        "confirmation_email_sent": False,
        "confirmation_email_error": "" if notify else "Not sent: notify was off for this enrollment.",
        "confirmation_email_attempts": 0,
        "confirmation_email_next_attempt": None,
        "confirmation_email_sent_at": None,
        "reminder_sent_at": None,  # a reactivated seat gets its own reminder before the start
    }
    if existing is None:
        try:
            with transaction.atomic():  # savepoint: a unique violation must not poison the transaction
                enrollment = BatchEnrollment.objects.create(batch=batch, member=member, **fields)
        except IntegrityError as exc:
            if violated_constraint(exc, ["batch_enrollment_one_per_member"]):
                # A concurrent request enrolled the same member first; our seat is rolled back with us.
                raise AlreadyEnrolled.for_member(email=member.email, is_self=is_self) from exc
            raise
        kind = EventType.ENROLLED
    else:
        # Reactivate only if still not active: a concurrent reactivation of the same row wins once.
        updated = BatchEnrollment.objects.filter(pk=existing.pk).exclude(status=EnrollmentStatus.ACTIVE).update(
            **fields, updated_at=now)
        if updated != 1:
            raise AlreadyEnrolled.for_member(email=member.email, is_self=is_self)
        enrollment = BatchEnrollment.objects.get(pk=existing.pk)
        kind = EventType.REACTIVATED
    grant_course_access(batch=batch, member_ids=[member.pk])
    record_event(kind, actor=actor, batch=batch, member=member, enrollment=enrollment, source=source,
                 reason=reason if overridden else "",
                 before={"status": existing.status} if existing else None,
                 after={"status": EnrollmentStatus.ACTIVE, "override_start": overridden})
    if overridden:
        record_event(EventType.OVERRIDE, actor=actor, batch=batch, member=member, enrollment=enrollment,
                     source=source, reason=reason, after={"starts_at": batch.starts_at.isoformat()})
    if notify:
        queue_confirmation_emails(enrollment_ids=[enrollment.pk])
    return enrollment


# Many members ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class MemberResult:
    member: str
    status: str  # created | skipped | failed
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
) -> BulkResult:
    """Enroll many members (emails), in order, with the rules of `enroll` for each.

    Per member: created, skipped (already enrolled, or listed twice) or failed with the
    contract's code and message; seats are filled in order until the cohort is full. Users,
    roles, existing enrollments and courses are read in bulk; each chunk is one transaction
    that takes the cohort's row lock once. `dry_run` answers what would happen and writes
    nothing. Refusals of the whole request (checks 1-3) raise."""
    reason = (reason or "").strip()
    _check_request(batch=batch, actor=actor, enrolls_others=True, override_start=override_start, reason=reason)
    results: list[MemberResult] = []
    seen: set[str] = set()
    options = {"actor": actor, "source": source, "override_start": override_start, "reason": reason, "notify": notify}
    if dry_run:
        # One transaction for every chunk, rolled back at the end: later chunks see the seats
        # that earlier ones would take, so the answer is exactly what a real run would give.
        with transaction.atomic():
            for chunk in chunked(members, chunk_size):
                results.extend(_bulk_chunk(batch, chunk, seen, **options))
            transaction.set_rollback(True)
    else:
        for chunk in chunked(members, chunk_size):
            with transaction.atomic(durable=True):
                results.extend(_bulk_chunk(batch, chunk, seen, **options))
    return BulkResult(results)


def _bulk_chunk(batch: Batch, emails: list[str], seen: set[str], *, actor: User | None, source: str,
                override_start: bool, reason: str, notify: bool) -> list[MemberResult]:
    lock_batches(batch)  # once per chunk: seats, then the committed enrollments, are read under it
    now = timezone.now()
    normalized = [normalize_email(email) for email in emails]
    users = {u.email: u for u in User.objects.filter(email__in=set(normalized))}
    students = set(User.groups.through.objects.filter(user_id__in=[u.pk for u in users.values()],
                                                      group__name=Role.LMS_STUDENT)
                   .values_list("user_id", flat=True))
    existing = {e.member_id: e for e in BatchEnrollment.objects.filter(batch=batch, member__in=users.values())}
    employees = set(Employee.objects.filter(user__in=users.values()).values_list("user_id", flat=True))
    try:
        _check_batch_open(batch, _unpublished_course(batch), now=now)
        batch_error: DomainError | None = None
    except DomainError as error:
        batch_error = error
    try:
        _check_started(batch, override_start=override_start, now=now)
        started_error: DomainError | None = None
    except DomainError as error:
        started_error = error
    overridden = override_start and batch.has_started(at=now)
    free = None if batch.seat_count is None else batch.seat_count - batch.seats_taken

    results: list[MemberResult] = []
    to_create: list[User] = []
    to_reactivate: list[BatchEnrollment] = []
    for raw, email in zip(emails, normalized, strict=True):
        label = email or (raw or "").strip()
        try:
            user = users.get(email)
            if user is None:
                raise UserNotFound(email=label or "(blank)")
            _check_member(user, is_student=user.pk in students)
            if batch_error:
                raise batch_error
            if email in seen or (user.pk in existing and existing[user.pk].status == EnrollmentStatus.ACTIVE):
                raise AlreadyEnrolled.for_member(email=email, is_self=False)
            if started_error:
                raise started_error
            if free is not None and free <= 0:
                raise CohortFull()
        except DomainError as error:
            results.append(_failure(label, error))
            continue
        seen.add(email)
        if free is not None:
            free -= 1
        if user.pk in existing:
            to_reactivate.append(existing[user.pk])
        else:
            to_create.append(user)
        results.append(MemberResult(email, "created"))

    taken = len(to_create) + len(to_reactivate)
    if not taken:
        return results
    if not _take_seats(batch, taken):  # cannot happen under the lock; the constraint backs it anyway
        raise CohortFull()
    email_status = EmailStatus.PENDING if notify else EmailStatus.SKIPPED
    email_note = "" if notify else "Not sent: notify was off for this enrollment."
    common = {
        "status": EnrollmentStatus.ACTIVE, "source": str(source), "override_reason": reason if overridden else "",
        "created_by": actor, "confirmation_email_status": email_status, "confirmation_email_error": email_note,
    }
    BatchEnrollment.objects.bulk_create(
        [BatchEnrollment(batch=batch, member=user, created_at=now, updated_at=now,
                         member_type=MemberType.EMPLOYEE if user.pk in employees else MemberType.EXTERNAL,
                         **common) for user in to_create],
        batch_size=1000,
    )
    for member_type in (MemberType.EMPLOYEE, MemberType.EXTERNAL):
        ids = [e.pk for e in to_reactivate if (e.member_id in employees) == (member_type == MemberType.EMPLOYEE)]
        if ids:
            BatchEnrollment.objects.filter(pk__in=ids).update(
                member_type=member_type, cancelled_at=None, confirmation_email_sent=False,
                confirmation_email_attempts=0, confirmation_email_next_attempt=None, confirmation_email_sent_at=None,
                reminder_sent_at=None, updated_at=now, **common)
    member_ids = [u.pk for u in to_create] + [e.member_id for e in to_reactivate]
    grant_course_access(batch=batch, member_ids=member_ids)
    reactivated = [e.member_id for e in to_reactivate]
    after = {"status": EnrollmentStatus.ACTIVE, "override_start": overridden}
    common_event = {"batch": batch, "actor": actor, "source": source, "at": now}
    _record_enrollment_events(EventType.ENROLLED, member_ids=[u.pk for u in to_create], after=after,
                              reason=reason if overridden else "", **common_event)
    _record_enrollment_events(EventType.REACTIVATED, member_ids=reactivated, after=after,
                              reason=reason if overridden else "", **common_event)
    if overridden:
        _record_enrollment_events(EventType.OVERRIDE, member_ids=member_ids, reason=reason,
                                  after={"starts_at": batch.starts_at.isoformat()}, **common_event)
    if notify:
        queue_confirmation_emails(enrollment_ids=list(
            BatchEnrollment.objects.filter(batch=batch, member_id__in=member_ids).order_by("pk")
            .values_list("pk", flat=True)))
    return results


def _record_enrollment_events(kind: str, *, batch: Batch, member_ids: Sequence[int], actor: User | None,
                              source: str, reason: str, after: dict, at: dt.datetime) -> None:
    """One audit event per enrolled member, written by one INSERT ... SELECT over the members'
    enrollment rows (same fields as core.audit.record_event; the rows never pass through Python)."""
    if not member_ids:
        return
    quote = connection.ops.quote_name
    postgres = connection.vendor == "postgresql"
    # PostgreSQL types a bare parameter in a SELECT list as text; the JSON and id columns need a cast.
    as_json = "CAST(%s AS jsonb)" if postgres else "%s"
    as_id = "CAST(%s AS bigint)" if postgres else "%s"
    placeholders = ", ".join(["%s"] * len(member_ids))
    columns = ", ".join(quote(c) for c in ("created_at", "kind", "actor_id", "actor_email", "batch_id", "member_id",
                                           "enrollment_id", "source", "reason", "before", "after", "remote_addr"))
    sql = (
        f"INSERT INTO {quote(EnrollmentEvent._meta.db_table)} ({columns}) "
        f"SELECT %s, %s, {as_id}, %s, e.batch_id, e.member_id, e.id, %s, %s, NULL, {as_json}, NULL "
        f"FROM {quote(BatchEnrollment._meta.db_table)} e WHERE e.batch_id = %s AND e.member_id IN ({placeholders})"
    )
    params = [at, str(kind), actor.pk if actor else None, actor.email if actor else "", str(source), reason,
              json.dumps(after), batch.pk, *member_ids]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


# Cancelling and seats -------------------------------------------------------------------------


@transaction.atomic(durable=True)
def cancel_enrollment(*, batch: Batch, member: User | str, actor: User | None, reason: str = "",
                      source: Source | str = Source.DESK) -> BatchEnrollment:
    """Cancel an active enrollment. Rules: moderators only; the member is actively enrolled.
    Side effects: the seat is freed; the row, its course enrollments and their progress stay;
    audit event. Enrolling again reactivates the row."""
    if not _is_moderator(actor):
        raise CannotCancelOthers()
    email = member.email if isinstance(member, User) else normalize_email(member)
    # The status change is the guard: of two concurrent cancels, one updates the row.
    enrollment = BatchEnrollment.objects.filter(batch=batch, member__email=email).first()
    now = timezone.now()
    if enrollment is None or not BatchEnrollment.objects.filter(
            pk=enrollment.pk, status=EnrollmentStatus.ACTIVE).update(
            status=EnrollmentStatus.CANCELLED, cancelled_at=now, updated_at=now):
        raise NotEnrolled(email=email)
    Batch.objects.filter(pk=batch.pk).update(seats_taken=F("seats_taken") - 1)
    enrollment.refresh_from_db()
    record_event(EventType.CANCELLED, actor=actor, batch=batch, member=enrollment.member, enrollment=enrollment,
                 source=source, reason=reason, before={"status": EnrollmentStatus.ACTIVE},
                 after={"status": EnrollmentStatus.CANCELLED})
    batch.refresh_from_db(fields=["seats_taken"])
    return enrollment


@transaction.atomic(durable=True)
def record_payment(*, batch: Batch, member: User, amount, currency: str, reference: str = "",
                   actor: User | None) -> Payment:
    """Record a received payment for a paid cohort (the desk now, a payment gateway later)."""
    payment = Payment.objects.create(batch=batch, member=member, amount=amount, currency=currency.upper(),
                                     reference=reference, status=PaymentStatus.RECEIVED,
                                     received_at=timezone.now(), created_by=actor)
    record_event(EventType.PAYMENT_RECORDED, actor=actor, batch=batch, member=member,
                 after={"amount": str(amount), "currency": payment.currency, "reference": reference})
    return payment
