"""Cohorts (batches): list and read (anyone signed in: published ones; staff: all), create and
change (Moderator), and self-enrollment (the caller)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Query, Router
from ninja.responses import Status
from pydantic import ConfigDict, Field, StrictInt

from smoothlms.api.v1.auth import MODERATORS, require_roles
from smoothlms.api.v1.errors import AUTH, BODY, VALIDATION, InvalidFields, responses
from smoothlms.api.v1.schemas import (
    BatchOut,
    Date,
    EnrollmentOut,
    Flag,
    Id,
    Input,
    Page,
    Time,
    batch_data,
    enrollment_data,
    envelope,
    list_envelope,
    paginate,
    text,
)
from smoothlms.catalog.models import Course
from smoothlms.catalog.selectors import get_batch
from smoothlms.catalog.services import create_batch
from smoothlms.enrollment.models import Source
from smoothlms.enrollment.selectors import get_batch_for, list_batches_for
from smoothlms.enrollment.services import duplicate_batch, enroll_self, update_batch

router = Router(tags=["batches"])

BatchName = text(140, description="The cohort's name, e.g. python-101.")
Name = text(140, description="Lower-case letters, digits and hyphens.")
Title = text(200, min_length=1)
Description = text()
TimeZone = text(64, min_length=1, description="IANA time zone, e.g. Asia/Kolkata.")
Currency = text(3, description="ISO 4217 code, e.g. EUR.")
SeatCount = Annotated[StrictInt, Field(ge=0, le=2**31 - 1, description="null: unlimited; 0: no seats.")]
Amount = Annotated[Decimal, Field(gt=0, max_digits=12, decimal_places=2)]
CourseName = text(140)


class BatchIn(Input):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "title": "Python 101",
                    "start_date": "2031-03-02",
                    "start_time": "09:30",
                    "end_date": "2031-03-20",
                    "end_time": "17:00",
                    "timezone": "Asia/Kolkata",
                    "seat_count": 30,
                    "published": True,
                    "allow_self_enrollment": True,
                }
            ]
        },
    )

    name: Name = Field("", description="Default: a unique slug of the title.")
    title: Title
    description: Description = ""
    start_date: Date
    start_time: Time = Field(description="HH:MM[:SS], wall-clock time in `timezone`.")
    end_date: Date
    end_time: Time = Field(description="HH:MM[:SS], wall-clock time in `timezone`.")
    timezone: TimeZone
    seat_count: SeatCount | None = None
    allow_self_enrollment: Flag = False
    waitlist_enabled: Flag = False
    allow_self_cancel: Flag = False
    published: Flag = False
    paid_batch: Flag = False
    amount: Amount | None = None
    currency: Currency | None = None
    certification: Flag = False
    courses: list[CourseName] = Field(default_factory=list, max_length=500, description="Course names, in order.")


class BatchPatch(Input):
    """Only the fields given change; `null` is accepted where the field can be empty."""

    title: Title = None  # type: ignore[assignment]
    description: Description = None  # type: ignore[assignment]
    start_date: Date = None  # type: ignore[assignment]
    start_time: Time = None  # type: ignore[assignment]
    end_date: Date = None  # type: ignore[assignment]
    end_time: Time = None  # type: ignore[assignment]
    timezone: TimeZone = None  # type: ignore[assignment]
    seat_count: SeatCount | None = None
    allow_self_enrollment: Flag = None  # type: ignore[assignment]
    waitlist_enabled: Flag = None  # type: ignore[assignment]
    allow_self_cancel: Flag = None  # type: ignore[assignment]
    published: Flag = None  # type: ignore[assignment]
    paid_batch: Flag = None  # type: ignore[assignment]
    amount: Amount | None = None
    currency: Currency | None = None
    certification: Flag = None  # type: ignore[assignment]
    courses: list[CourseName] = Field(
        None,
        max_length=500,  # type: ignore[assignment]
        description="Course names, in order (replaces the list).",
    )


class BatchFilters(Page):
    # Optional without being nullable: a query string has no null.
    published: bool = Field(
        None,
        description="Only published (true) or unpublished (false) "  # type: ignore[assignment]
        "cohorts.",
    )
    start_date_from: Date = Field(None, description="Cohorts starting on or after this date.")  # type: ignore[assignment]
    start_date_to: Date = Field(None, description="Cohorts starting on or before this date.")  # type: ignore[assignment]


class DuplicateIn(Input):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"title": "Python 101 (May)", "start_date": "2031-05-04", "move_waitlist": True}]
        },
    )

    title: Title
    start_date: Date
    end_date: Date | None = Field(None, description="Default: the original's length from the new start.")
    move_waitlist: Flag = Field(False, description="Move the original's waitlist to the copy, in order.")


class SelfEnrollIn(Input):
    payment: Id | None = Field(None, description="Your payment for a paid cohort (its id).")


def _courses(names: list[str]) -> list[Course]:
    """The named courses in the order given; an unknown name is a validation error of `courses`."""
    found = {course.name: course for course in Course.objects.filter(name__in=set(names))}
    for name in names:
        if name not in found:
            raise InvalidFields(detail=f"courses: No course named {name}.", fields=["courses"])
    return [found[name] for name in names]


def _batch_fields(changes: dict[str, Any]) -> dict[str, Any]:
    if "currency" in changes:
        changes["currency"] = (changes["currency"] or "").upper()
    return changes


NOT_FOUND = {404: "`not_found`: No cohort named {name}. (Unpublished cohorts are invisible to students.)"}
MODERATOR_ONLY = {403: "`permission_denied`: only Moderators create and change cohorts."}
INVALID_BATCH = {
    422: "`validation_error`: bad, missing or unknown fields, or a cohort the rules refuse "
    "(end before start, unknown time zone, a paid cohort without amount and currency); "
    "`params.fields` names them."
}


@router.get("/batches", summary="List cohorts", **responses(200, list_envelope(BatchOut), {**AUTH, **VALIDATION}))
def list_batches(request: HttpRequest, filters: Query[BatchFilters]):
    """Published cohorts (staff: all), ordered by start."""
    batches = list_batches_for(user=request.auth)
    if filters.published is not None:
        batches = batches.filter(published=filters.published)
    if filters.start_date_from is not None:
        batches = batches.filter(start_date__gte=filters.start_date_from)
    if filters.start_date_to is not None:
        batches = batches.filter(start_date__lte=filters.start_date_to)
    return paginate(batches, filters, batch_data)


@router.post(
    "/batches",
    summary="Create a cohort",
    **responses(
        201,
        envelope(BatchOut),
        {**AUTH, **MODERATOR_ONLY, 409: "`name_taken`: The name {name} is already used.", **BODY, **INVALID_BATCH},
    ),
)
def create_batch_endpoint(request: HttpRequest, body: BatchIn):
    """Create a cohort; `name` defaults to a unique slug of the title."""
    require_roles(request.auth, *MODERATORS)
    fields = _batch_fields(body.model_dump())
    courses = _courses(fields.pop("courses"))
    batch = create_batch(actor=request.auth, courses=courses, **fields)
    return Status(201, {"data": batch_data(get_batch_for(name=batch.name, user=request.auth))})


@router.get(
    "/batches/{name}",
    summary="Read a cohort",
    **responses(200, envelope(BatchOut), {**AUTH, **NOT_FOUND, **VALIDATION}),
)
def get_batch_endpoint(request: HttpRequest, name: BatchName):
    """One cohort, if the caller may see it."""
    return {"data": batch_data(get_batch_for(name=name, user=request.auth))}


@router.patch(
    "/batches/{name}",
    summary="Change a cohort",
    **responses(
        200,
        envelope(BatchOut),
        {
            **AUTH,
            **MODERATOR_ONLY,
            **NOT_FOUND,
            409: "`seat_count_below_enrolled`: the seat count cannot drop below the active enrollments.",
            **BODY,
            **INVALID_BATCH,
        },
    ),
)
def change_batch_endpoint(request: HttpRequest, name: BatchName, body: BatchPatch):
    """Change a cohort. The seat count never drops below the active enrollments."""
    batch = get_batch(name=name, visible_to=request.auth)
    require_roles(request.auth, *MODERATORS)
    changes = _batch_fields(body.model_dump(exclude_unset=True))
    courses = _courses(changes.pop("courses")) if "courses" in changes else None
    update_batch(batch=batch, actor=request.auth, courses=courses, **changes)
    return {"data": batch_data(get_batch_for(name=batch.name, user=request.auth))}


@router.post(
    "/batches/{name}/duplicate",
    summary="Duplicate a cohort",
    **responses(201, envelope(BatchOut), {**AUTH, **MODERATOR_ONLY, **NOT_FOUND, **BODY, **INVALID_BATCH}),
)
def duplicate_batch_endpoint(request: HttpRequest, name: BatchName, body: DuplicateIn):
    """A new unpublished cohort with the same courses and settings, its live classes shifted to the
    new dates (the guide's "create a second batch"); `move_waitlist` moves the waitlist to it."""
    batch = get_batch(name=name, visible_to=request.auth)
    require_roles(request.auth, *MODERATORS)
    copy = duplicate_batch(
        batch=batch,
        title=body.title,
        start_date=body.start_date,
        end_date=body.end_date,
        move_waitlist=body.move_waitlist,
        actor=request.auth,
    )
    return Status(201, {"data": batch_data(get_batch_for(name=copy.name, user=request.auth))})


@router.post(
    "/batches/{name}/enroll",
    summary="Enroll yourself",
    **responses(
        201,
        envelope(EnrollmentOut),
        {
            **AUTH,
            **NOT_FOUND,
            403: "`self_enrollment_closed`: Self enrollment is not open for this cohort.",
            409: "`user_disabled`, `not_a_student`, `cohort_not_published`, `course_not_published`, `cohort_ended`, "
            "`already_enrolled`, `cohort_started`, `cohort_full` (CONTRACT.md section 6).",
            402: "`payment_required`: Payment is required to enroll in this cohort.",
            **BODY,
            **VALIDATION,
        },
    ),
)
def self_enroll(request: HttpRequest, name: BatchName, body: SelfEnrollIn | None = None):
    """Enroll the caller. The checks run in the order of CONTRACT.md section 6; the first that
    fails answers. A full cohort with its waitlist on answers 201 with status `waitlisted` and the
    `waitlist_position`. A paid cohort needs a received payment of the caller (`payment`, or the latest)."""
    enrollment = enroll_self(
        batch_name=name, member=request.auth, source=Source.API, payment_id=body.payment if body else None
    )
    return Status(201, {"data": enrollment_data(enrollment)})
