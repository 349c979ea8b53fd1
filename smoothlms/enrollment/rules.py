"""The enrollment rules: would this enrollment be refused, and why (CONTRACT.md section 6).

`refusal_for` is the one answer, asked by every path: `enroll` and `bulk_enroll` on what they read
under the cohort's row lock, the import's dry run (the real bulk path, rolled back), the API
(through those services) and the portal, ahead of the click, from what its page knows. The checks
run in the contract's order and the first that fails answers. Nothing here reads the database:
callers gather the facts, so a check costs no query and the bulk path can ask it per member.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from smoothlms.catalog.models import Batch, LateJoinPolicy
from smoothlms.core.errors import DomainError
from smoothlms.enrollment.errors import (
    AlreadyEnrolled,
    BatchNotFound,
    CannotEnrollOthers,
    CohortEnded,
    CohortFull,
    CohortNotPublished,
    CohortStarted,
    CourseNotPublished,
    NotAStudent,
    OverrideReasonRequired,
    PaymentMissing,
    SelfEnrollmentClosed,
    UserDisabled,
)
from smoothlms.people.errors import UserNotFound
from smoothlms.people.models import User
from smoothlms.people.roles import is_moderator, is_staff_role


@dataclass(frozen=True)
class EnrollRequest:
    """What is asked. The checks of the request as a whole (1-3) need nothing else."""

    batch: Batch
    actor: User | None  # None: the system itself (HR rules, the command line)
    is_self: bool  # the actor enrolls themselves
    override_start: bool = False
    reason: str = ""
    # What set the request in motion, when not the actor alone (an onboarding rule and its author):
    # written on the audit events as `after.origin`; no rule reads it.
    origin: Mapping[str, str] | None = None

    def audited(self, after: dict) -> dict:
        return {**after, "origin": dict(self.origin)} if self.origin else after


@dataclass(frozen=True)
class MemberFacts:
    """What is known of the member (checks 4-6, 10 and 13)."""

    email: str  # normalized, as asked
    user: User | None  # None: no user has that email
    is_student: bool = False
    is_enrolled: bool = False  # holds an active seat (or was listed earlier in the same request)
    # A received payment, for self-enrollment in a paid cohort. None: not known, which only a
    # prediction may say (the engine always looks); a prediction then leaves the payment to the engine.
    has_paid: bool | None = None


@dataclass(frozen=True)
class CohortFacts:
    """What is known of the cohort at the moment it is asked (checks 8, 9, 11 and 14)."""

    unpublished_course: str | None  # the name of its first course that is not published
    free_seats: int | None  # None: unlimited
    started: bool  # in the cohort's own time zone
    ended: bool

    @classmethod
    def of(cls, batch: Batch, *, unpublished_course: str | None, now: dt.datetime) -> CohortFacts:
        free = None if batch.seat_count is None else batch.seat_count - batch.seats_taken
        return cls(
            unpublished_course=unpublished_course,
            free_seats=free,
            started=batch.has_started(at=now),
            ended=batch.has_ended(at=now),
        )


def acts_as_moderator(actor: User | None) -> bool:
    """None is the system itself (HR rules, the command line): it acts with a moderator's rights."""
    return actor is None or is_moderator(actor)


# The checks, numbered as in the contract ----------------------------------------------------------

Refusal = DomainError | None


def _cohort_visible(request: EnrollRequest) -> Refusal:  # 1: unpublished cohorts do not exist for students
    actor = request.actor
    if not request.batch.published and actor is not None and not is_staff_role(actor):
        return BatchNotFound(name=request.batch.name)
    return None


def _may_enroll(request: EnrollRequest) -> Refusal:  # 2: only moderators enroll others or override the start
    if (not request.is_self or request.override_start) and not acts_as_moderator(request.actor):
        return CannotEnrollOthers()
    return None


def _override_has_reason(request: EnrollRequest) -> Refusal:  # 3
    if request.override_start and not request.reason.strip():
        return OverrideReasonRequired()
    return None


def _user_exists(request: EnrollRequest, member: MemberFacts, cohort: CohortFacts) -> Refusal:  # 4
    return UserNotFound(email=member.email or "(blank)") if member.user is None else None


def _user_enabled(request: EnrollRequest, member: MemberFacts, cohort: CohortFacts) -> Refusal:  # 5
    return UserDisabled(email=member.user.email) if member.user and not member.user.enabled else None


def _user_is_student(request: EnrollRequest, member: MemberFacts, cohort: CohortFacts) -> Refusal:  # 6
    return NotAStudent(email=member.user.email) if member.user and not member.is_student else None


def _cohort_published(request: EnrollRequest, member: MemberFacts, cohort: CohortFacts) -> Refusal:  # 7
    return None if request.batch.published else CohortNotPublished()


def _courses_published(request: EnrollRequest, member: MemberFacts, cohort: CohortFacts) -> Refusal:  # 8
    return CourseNotPublished(course=cohort.unpublished_course) if cohort.unpublished_course else None


def _cohort_not_ended(request: EnrollRequest, member: MemberFacts, cohort: CohortFacts) -> Refusal:  # 9
    return CohortEnded() if cohort.ended else None


def _not_enrolled(request: EnrollRequest, member: MemberFacts, cohort: CohortFacts) -> Refusal:  # 10
    if member.is_enrolled:
        return AlreadyEnrolled.for_member(
            email=member.user.email if member.user else member.email, is_self=request.is_self
        )
    return None


def _cohort_not_started(request: EnrollRequest, member: MemberFacts, cohort: CohortFacts) -> Refusal:  # 11
    if (
        cohort.started
        and not request.override_start
        and request.batch.late_join_policy != LateJoinPolicy.OPEN_UNTIL_END
    ):
        return CohortStarted()
    return None


def _self_enrollment_open(request: EnrollRequest, member: MemberFacts, cohort: CohortFacts) -> Refusal:  # 12
    return SelfEnrollmentClosed() if request.is_self and not request.batch.allow_self_enrollment else None


def _paid_for(request: EnrollRequest, member: MemberFacts, cohort: CohortFacts) -> Refusal:  # 13
    return PaymentMissing() if request.is_self and request.batch.paid_batch and member.has_paid is False else None


def _seat_free(request: EnrollRequest, member: MemberFacts, cohort: CohortFacts) -> Refusal:  # 14
    return CohortFull() if cohort.free_seats is not None and cohort.free_seats <= 0 else None


REQUEST_CHECKS: tuple[Callable[[EnrollRequest], Refusal], ...] = (
    _cohort_visible,
    _may_enroll,
    _override_has_reason,
)
MEMBER_CHECKS: tuple[Callable[[EnrollRequest, MemberFacts, CohortFacts], Refusal], ...] = (
    _user_exists,
    _user_enabled,
    _user_is_student,
    _cohort_published,
    _courses_published,
    _cohort_not_ended,
    _not_enrolled,
    _cohort_not_started,
    _self_enrollment_open,
    _paid_for,
    _seat_free,
)


def refusal_for(
    request: EnrollRequest, member: MemberFacts | None = None, cohort: CohortFacts | None = None
) -> DomainError | None:
    """The refusal the engine gives `request` for `member`, or None when it would enroll them.

    Without `member` and `cohort`, only the checks of the request itself run (1-3): those a bulk
    request is refused for as a whole, before any member is looked at."""
    if (member is None) != (cohort is None):
        raise TypeError("refusal_for needs both the member's and the cohort's facts, or neither.")
    for request_check in REQUEST_CHECKS:
        if (error := request_check(request)) is not None:
            return error
    if member is None or cohort is None:
        return None
    for check in MEMBER_CHECKS:
        if (error := check(request, member, cohort)) is not None:
            return error
    return None
