"""Shapes shared by the routers: input types that refuse what no database can store, the success
envelopes (`{"data": ...}`, lists with `count`), pagination, and the batch and enrollment
representations of CONTRACT.md section 5."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from functools import cache
from typing import Annotated, Any, TypeVar

from django.db.models import QuerySet
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    StrictBool,
    StrictInt,
    StringConstraints,
    WithJsonSchema,
    create_model,
)

from smoothlms.catalog.models import Batch
from smoothlms.enrollment.models import BatchEnrollment, EnrollmentStatus, MemberType, Source
from smoothlms.enrollment.selectors import get_waitlist_position
from smoothlms.people.errors import InvalidEmail
from smoothlms.people.models import normalize_email
from smoothlms.people.services import clean_email

T = TypeVar("T")
MAX_LIMIT = 500
MAX_OFFSET = 2**31 - 1
MAX_ID = 2**63 - 1
EARLIEST_DATE = dt.date(1900, 1, 1)


# Input types ----------------------------------------------------------------------------------


def storable(value: str) -> str:
    """PostgreSQL refuses NUL characters and every database refuses lone surrogates: say so as a
    validation error instead of letting the database fail."""
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text") from None
    return value


def text(max_length: int | None = None, *, min_length: int | None = None, **field: Any) -> Any:
    """A string with surrounding spaces removed, storable in every database."""
    return Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length),
        AfterValidator(storable),
        Field(**field),
    ]


def checked_email(value: str) -> str:
    """people.services.clean_email as a pydantic check: its refusal is a 422 naming the field."""
    try:
        return clean_email(value)
    except InvalidEmail as error:
        raise ValueError("not a valid email address" + (f" ({error.detail})" if error.detail else "")) from None


# Odd case, width and surrounding spaces are normalised: " Ada@Example.COM " is ada@example.com.
Email = Annotated[
    str,
    StringConstraints(max_length=254),
    AfterValidator(storable),
    AfterValidator(checked_email),
    Field(json_schema_extra={"format": "email"}),
]
# A reference to a user by email: normalised, never refused here (the services answer user_not_found).
MemberRef = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=320),
    AfterValidator(storable),
    AfterValidator(normalize_email),
]


ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def _iso_date(value: Any) -> Any:
    """Dates are YYYY-MM-DD text: a number is not a date (pydantic would read it as a timestamp)."""
    if not isinstance(value, str) or not ISO_DATE.match(value):
        raise ValueError("give a date as YYYY-MM-DD")
    return value


Date = Annotated[dt.date, BeforeValidator(_iso_date), Field(ge=EARLIEST_DATE)]

WALL_CLOCK = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$")


def _wall_clock(value: Any) -> dt.time:
    if not isinstance(value, str) or not WALL_CLOCK.match(value):
        raise ValueError("give a wall-clock time as HH:MM or HH:MM:SS (no offset: the zone is `timezone`)")
    return dt.time.fromisoformat(value)


# A wall-clock time in the cohort's zone. Not JSON Schema's "time" format: that one needs an offset.
Time = Annotated[
    dt.time,
    PlainValidator(_wall_clock),
    WithJsonSchema({"type": "string", "pattern": WALL_CLOCK.pattern, "examples": ["09:30"]}),
]
TimeOut = Annotated[
    dt.time,
    PlainSerializer(lambda value: value.strftime("%H:%M:%S"), return_type=str),
    WithJsonSchema({"type": "string", "pattern": WALL_CLOCK.pattern, "examples": ["09:30:00"]}),
]
Id = Annotated[StrictInt, Field(ge=1, le=MAX_ID)]
# Body flags and counts take JSON's own types: 0, "yes" or "5" are refused, not guessed at.
Flag = StrictBool


class Input(BaseModel):
    """Request bodies: unknown fields are refused (422 naming them), never silently dropped."""

    model_config = ConfigDict(extra="forbid")


class Page(BaseModel):
    limit: int = Field(20, ge=1, le=MAX_LIMIT, description=f"How many items (1-{MAX_LIMIT}).")
    offset: int = Field(0, ge=0, le=MAX_OFFSET, description="How many items to skip.")


# Envelopes -------------------------------------------------------------------------------------


@cache
def envelope(model: type[BaseModel]) -> type[BaseModel]:
    """`{"data": model}`."""
    return create_model(f"{model.__name__.removesuffix('Out')}Response", data=(model, ...))


@cache
def list_envelope(model: type[BaseModel]) -> type[BaseModel]:
    """`{"data": [model], "count": total}`."""
    return create_model(
        f"{model.__name__.removesuffix('Out')}ListResponse",
        data=(list[model], ...),  # type: ignore[valid-type]
        count=(int, Field(description="How many items match, in all pages.")),
    )


def paginate(items: QuerySet | Sequence[T], page: Page, render: Callable[[Any], dict]) -> dict[str, Any]:
    """One page of `items` rendered, with the total count."""
    count = items.count() if isinstance(items, QuerySet) else len(items)
    window = items[page.offset : page.offset + page.limit] if page.offset < count else []
    return {"data": [render(item) for item in window], "count": count}


def instant(value: dt.datetime) -> dt.datetime:
    """An aware instant for output. Offsets with seconds (local mean time of old dates) are not
    valid RFC 3339, so those instants are given in UTC instead."""
    offset = value.utcoffset()
    if offset is not None and offset.seconds % 60:
        return value.astimezone(dt.UTC)
    return value


# Batches -------------------------------------------------------------------------------------


class BatchOut(BaseModel):
    name: str
    title: str
    description: str
    start_date: dt.date
    start_time: TimeOut = Field(description="Wall-clock time in `timezone`.")
    end_date: dt.date
    end_time: TimeOut = Field(description="Wall-clock time in `timezone`.")
    timezone: str = Field(description="IANA time zone of the cohort, e.g. Europe/Berlin.")
    starts_at: dt.datetime = Field(description="The start as an instant, with the cohort's offset.")
    ends_at: dt.datetime = Field(description="The end as an instant, with the cohort's offset.")
    seat_count: int | None = Field(description="null: unlimited; 0: no seats.")
    seats_taken: int
    seats_left: int | None = Field(description="null: unlimited.")
    allow_self_enrollment: bool
    published: bool
    paid_batch: bool
    amount: float | None
    currency: str | None = Field(description="ISO 4217 code, e.g. EUR; null when not set.")
    courses: list[str] = Field(description="Course names, in order.")
    is_enrolled: bool = Field(description="Whether the caller is actively enrolled.")
    waitlist_enabled: bool = Field(description="When full, enrolling puts the member on the waitlist.")
    allow_self_cancel: bool = Field(description="Members may leave the cohort or its waitlist until it starts.")
    waitlist_count: int = Field(description="Members on the waitlist.")
    waitlist_position: int | None = Field(
        description="The caller's place on the waitlist (1-based); null unless waitlisted."
    )
    certification: bool = Field(description="Whether completing the whole cohort issues a certificate.")


def batch_data(batch: Batch) -> dict[str, Any]:
    """A batch from enrollment.selectors.list_batches_for (annotated, courses prefetched) as the contract lists it."""
    seats_left = getattr(batch, "seats_left_value", batch.seats_left)
    return {
        "name": batch.name,
        "title": batch.title,
        "description": batch.description,
        "start_date": batch.start_date,
        "start_time": batch.start_time,
        "end_date": batch.end_date,
        "end_time": batch.end_time,
        "timezone": batch.timezone,
        "starts_at": instant(batch.starts_at),
        "ends_at": instant(batch.ends_at),
        "seat_count": batch.seat_count,
        "seats_taken": batch.seats_taken,
        "seats_left": None if seats_left is None else max(seats_left, 0),
        "allow_self_enrollment": batch.allow_self_enrollment,
        "published": batch.published,
        "paid_batch": batch.paid_batch,
        "amount": None if batch.amount is None else float(batch.amount),
        "currency": batch.currency or None,
        "courses": [link.course.name for link in batch.batch_courses.all()],
        "is_enrolled": bool(getattr(batch, "is_enrolled", False)),
        "waitlist_enabled": batch.waitlist_enabled,
        "allow_self_cancel": batch.allow_self_cancel,
        "waitlist_count": getattr(batch, "waitlist_count", 0),
        "waitlist_position": getattr(batch, "waitlist_position", None),
        "certification": batch.certification,
    }


# Enrollments ----------------------------------------------------------------------------------


class EnrollmentOut(BaseModel):
    name: str = Field(description="The enrollment's name, e.g. BE-000012.")
    batch: str = Field(description="The cohort's name.")
    member: str = Field(description="The member's email.")
    member_name: str
    member_type: MemberType = Field(description="Employee when an HR Employee record links the user.")
    status: EnrollmentStatus
    source: Source
    confirmation_email_sent: bool = Field(description="True only once the mail server accepted the email.")
    created_at: dt.datetime
    waitlist_position: int | None = Field(description="1-based place on the cohort's waitlist; null unless waitlisted.")


def enrollment_data(enrollment: BatchEnrollment) -> dict[str, Any]:
    """An enrollment (member and batch loaded) as the contract lists it."""
    return {
        "name": enrollment.name,
        "batch": enrollment.batch.name,
        "member": enrollment.member.email,
        "member_name": enrollment.member.full_name,
        "member_type": enrollment.member_type,
        "status": enrollment.status,
        "source": enrollment.source,
        "confirmation_email_sent": enrollment.confirmation_email_sent,
        "created_at": enrollment.created_at,
        "waitlist_position": _waitlist_position(enrollment),
    }


def _waitlist_position(enrollment: BatchEnrollment) -> int | None:
    """Annotated by the roster selectors; looked up for a single row a service returned."""
    if enrollment.status != EnrollmentStatus.WAITLISTED:
        return None
    if hasattr(enrollment, "waitlist_position"):
        return enrollment.waitlist_position
    return get_waitlist_position(enrollment=enrollment)
