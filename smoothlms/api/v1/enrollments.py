"""A cohort's roster (Moderator, Batch Evaluator), enrolling one member or many and cancelling
(Moderator). Every path goes through the enrollment services: the checks of CONTRACT.md section 6
run in order there; this module only maps input and output."""

from __future__ import annotations

from typing import Literal

from django.http import HttpRequest
from ninja import Query, Router
from ninja.responses import Status
from pydantic import BaseModel, ConfigDict, Field

from smoothlms.api.v1.auth import ROSTER_READERS, require_roles
from smoothlms.api.v1.errors import AUTH, BODY, VALIDATION, responses
from smoothlms.api.v1.schemas import (
    EnrollmentOut,
    Flag,
    Input,
    MemberRef,
    Page,
    enrollment_data,
    envelope,
    list_envelope,
    paginate,
    text,
)
from smoothlms.catalog.selectors import get_batch
from smoothlms.enrollment.errors import CannotEnrollOthers
from smoothlms.enrollment.models import Source
from smoothlms.enrollment.selectors import list_roster
from smoothlms.enrollment.services import (
    bulk_enroll,
    cancel_enrollment,
    enroll,
    replace_enrollment,
    transfer_enrollment,
)
from smoothlms.people.roles import is_moderator

router = Router(tags=["enrollments"])

MAX_BULK = 10_000
BatchName = text(140, description="The cohort's name, e.g. python-101.")
MemberPath = text(320, description="The member's email (any case).")
Reason = text(2000)


class RosterFilters(Page):
    status: Literal["active", "cancelled", "waitlisted", "all"] = Field("active", description="Default: active.")


class EnrollIn(Input):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"member": "ada@example.com"}]})

    member: MemberRef = Field(description="The user's email (any case, surrounding spaces ignored).")
    override_start: Flag = Field(False, description="Enroll after the start (Moderators; needs `reason`).")
    reason: Reason = ""
    notify: Flag = Field(True, description="Send the confirmation email.")


class BulkIn(Input):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"members": ["ada@example.com", "grace@example.com"], "notify": True}]},
    )

    members: list[MemberRef] = Field(
        min_length=1, max_length=MAX_BULK, description=f"Emails, processed in order (at most {MAX_BULK:,})."
    )
    override_start: Flag = False
    reason: Reason = ""
    notify: Flag = True


class MemberResultOut(BaseModel):
    member: str
    status: Literal["created", "waitlisted", "skipped", "failed"]
    code: str | None = Field(None, description="For skipped and failed members: the contract's code.")
    message: str | None = Field(None, description="For skipped and failed members: the contract's message.")


class BulkOut(BaseModel):
    results: list[MemberResultOut]
    created: int
    waitlisted: int = Field(0, description="Members placed on the waitlist (a full cohort with its waitlist on).")
    skipped: int
    failed: int


NOT_FOUND = {404: "`not_found`: No cohort named {name}."}
ENROLL_CONFLICTS = {
    409: "`user_disabled`, `not_a_student`, `cohort_not_published`, `course_not_published`, "
    "`cohort_ended`, `already_enrolled`, `cohort_started`, `cohort_full` "
    "(CONTRACT.md section 6)."
}
ENROLL_FORBIDDEN = {403: "`permission_denied`: You do not have permission to enroll other users."}
OVERRIDE_INVALID = {
    422: "`override_reason_required`: A reason is required to override the start date; "
    "`validation_error`: bad, missing or unknown fields, named in `params.fields`."
}


@router.get(
    "/batches/{name}/enrollments",
    summary="Roster",
    **responses(
        200,
        list_envelope(EnrollmentOut),
        {
            **AUTH,
            **NOT_FOUND,
            403: "`permission_denied`: only Moderators and Batch Evaluators read rosters.",
            **VALIDATION,
        },
    ),
)
def list_enrollments(request: HttpRequest, name: BatchName, filters: Query[RosterFilters]):
    """The cohort's enrollments (default: active), oldest first."""
    batch = get_batch(name=name, visible_to=request.auth)
    require_roles(request.auth, *ROSTER_READERS)
    return paginate(list_roster(batch=batch, status=filters.status), filters, enrollment_data)


@router.post(
    "/batches/{name}/enrollments",
    summary="Enroll a member",
    **responses(
        201,
        envelope(EnrollmentOut),
        {
            **AUTH,
            **ENROLL_FORBIDDEN,
            **ENROLL_CONFLICTS,
            404: "`not_found`: No cohort named {name}. `user_not_found`: No user with email {email}.",
            **BODY,
            **OVERRIDE_INVALID,
        },
    ),
)
def enroll_member(request: HttpRequest, name: BatchName, body: EnrollIn):
    """Enroll one user. With `override_start` and a `reason`, a Moderator may enroll after the start
    (never after the end)."""
    batch = get_batch(name=name, visible_to=request.auth)
    if not is_moderator(request.auth):  # this endpoint is the Moderator's; learners use /batches/{name}/enroll
        raise CannotEnrollOthers()
    enrollment = enroll(
        batch=batch,
        member=body.member,
        actor=request.auth,
        source=Source.API,
        override_start=body.override_start,
        reason=body.reason,
        notify=body.notify,
    )
    return Status(201, {"data": enrollment_data(enrollment)})


@router.post(
    "/batches/{name}/enrollments/bulk",
    summary="Enroll many members",
    **responses(200, envelope(BulkOut), {**AUTH, **NOT_FOUND, **ENROLL_FORBIDDEN, **BODY, **OVERRIDE_INVALID}),
    exclude_none=True,
)
def enroll_members(request: HttpRequest, name: BatchName, body: BulkIn):
    """Enroll many users, in order. Each member is `created`, `waitlisted` (a full cohort with its
    waitlist on), `skipped` (already enrolled, or listed
    twice) or `failed` with the code and message a single enrollment would give."""
    batch = get_batch(name=name, visible_to=request.auth)
    result = bulk_enroll(
        batch=batch,
        members=body.members,
        actor=request.auth,
        source=Source.API,
        override_start=body.override_start,
        reason=body.reason,
        notify=body.notify,
    )
    return {
        "data": {
            "results": [
                {"member": r.member, "status": r.status, "code": r.code or None, "message": r.message or None}
                for r in result.results
            ],
            "created": result.created,
            "waitlisted": result.waitlisted,
            "skipped": result.skipped,
            "failed": result.failed,
        }
    }


@router.delete(
    "/batches/{name}/enrollments/{member}",
    summary="Cancel an enrollment",
    **responses(
        204,
        None,
        {
            **AUTH,
            403: "`permission_denied`: You do not have permission to cancel enrollments.",
            404: "`not_found`: No cohort named {name}. `not_enrolled`: {email} is not enrolled in this cohort.",
            **VALIDATION,
        },
    ),
)
def cancel_member(request: HttpRequest, name: BatchName, member: MemberPath, reason: Reason = ""):
    """Cancel an enrollment or a place on the waitlist: the seat is freed and goes to the first on the
    waitlist; the cohort's course access is withdrawn; the row and its history stay. Enrolling again
    reactivates it."""
    batch = get_batch(name=name, visible_to=request.auth)
    cancel_enrollment(batch=batch, member=member, actor=request.auth, reason=reason, source=Source.API)
    return Status(204, None)


class TransferIn(Input):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"to_batch": "python-101-may", "reason": "Moved to the May run at the manager's request."}]
        },
    )

    to_batch: BatchName = Field(description="The cohort the seat moves to (its name).")
    reason: Reason = ""


class ReplaceIn(Input):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"member": "grace@example.com", "reason": "Ada is on leave; Grace goes instead."}]
        },
    )

    member: MemberRef = Field(description="The colleague who takes the seat (email).")
    reason: Reason = ""


MOVE_REFUSALS = {
    **AUTH,
    403: "`permission_denied`: You do not have permission to enroll other users.",
    404: "`not_found`: No cohort named {name}. `not_enrolled`: {email} is not enrolled in this cohort. "
    "`user_not_found`: No user with email {email}.",
    409: "The target's rules (CONTRACT.md section 6): `cohort_full`, `already_enrolled`, `cohort_started`, ...; "
    "on a refusal nothing changes.",
    **BODY,
    **VALIDATION,
}


@router.post(
    "/batches/{name}/enrollments/{member}/transfer",
    summary="Move a seat to another cohort",
    **responses(200, envelope(EnrollmentOut), MOVE_REFUSALS),
)
def transfer_member(request: HttpRequest, name: BatchName, member: MemberPath, body: TransferIn):
    """Move the member's seat to `to_batch` in one transaction: the target's rules apply; the history
    stays; courses both cohorts share keep their progress; the freed seat goes to the source's
    waitlist. Answers the member's enrollment in the target."""
    batch = get_batch(name=name, visible_to=request.auth)
    target = get_batch(name=body.to_batch, visible_to=request.auth)
    moved = transfer_enrollment(
        batch=batch, member=member, to_batch=target, actor=request.auth, reason=body.reason, source=Source.API
    )
    return {"data": enrollment_data(moved)}


@router.post(
    "/batches/{name}/enrollments/{member}/replace",
    summary="Pass a seat to a colleague",
    **responses(200, envelope(EnrollmentOut), MOVE_REFUSALS),
)
def replace_member(request: HttpRequest, name: BatchName, member: MemberPath, body: ReplaceIn):
    """Pass the member's seat to `member` of the body in one transaction ("send a colleague
    instead"). Answers the colleague's enrollment."""
    batch = get_batch(name=name, visible_to=request.auth)
    seated = replace_enrollment(
        batch=batch, member=member, replacement=body.member, actor=request.auth, reason=body.reason, source=Source.API
    )
    return {"data": enrollment_data(seated)}
