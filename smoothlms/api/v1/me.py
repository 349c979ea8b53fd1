"""The caller's own cohorts (with their courses) and live classes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.db.models import Prefetch
from django.http import HttpRequest
from ninja import Query, Router
from ninja.responses import Status
from pydantic import BaseModel, Field

from smoothlms.api.v1.errors import AUTH, VALIDATION, responses
from smoothlms.api.v1.schemas import (
    EnrollmentOut,
    Page,
    TimeOut,
    enrollment_data,
    instant,
    list_envelope,
    paginate,
    text,
)
from smoothlms.catalog.models import BatchCourse, LiveClass
from smoothlms.catalog.selectors import get_batch
from smoothlms.enrollment.models import BatchEnrollment, CourseEnrollment, Source
from smoothlms.enrollment.selectors import list_member_enrollments, list_member_live_classes
from smoothlms.enrollment.services import cancel_own_enrollment
from smoothlms.people.models import User

router = Router(tags=["me"])

BatchName = text(140, description="The cohort's name, e.g. python-101.")


class MyEnrollmentFilters(Page):
    status: Literal["active", "cancelled", "waitlisted", "all"] = Field("active", description="Default: active.")


class MyCourseOut(BaseModel):
    name: str
    title: str
    progress: float = Field(description="Percent complete (0-100).")


class MyEnrollmentOut(EnrollmentOut):
    """An enrollment with what the learner needs of its cohort: title, start, end and courses."""

    batch_title: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    timezone: str
    courses: list[MyCourseOut] = Field(description="The cohort's courses, in order, with the caller's progress.")


class LiveClassOut(BaseModel):
    title: str
    description: str
    batch: str = Field(description="The cohort's name.")
    batch_title: str
    date: dt.date = Field(description="Local date in `timezone`.")
    time: TimeOut = Field(description="Local time in `timezone`.")
    duration: int = Field(description="Minutes.")
    timezone: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    join_url: str


def _live_classes(member: User) -> list[LiveClass]:
    """Live classes of the cohorts `member` is actively enrolled in, in time order (zones differ,
    so the order is of instants, not of local dates)."""
    return sorted(list_member_live_classes(member=member), key=lambda live: (live.starts_at, live.pk))


def _live_class_data(live: LiveClass) -> dict[str, Any]:
    return {
        "title": live.title,
        "description": live.description,
        "batch": live.batch.name,
        "batch_title": live.batch.title,
        "date": live.date,
        "time": live.time,
        "duration": live.duration,
        "timezone": live.timezone,
        "starts_at": instant(live.starts_at),
        "ends_at": instant(live.ends_at),
        "join_url": live.join_url,
    }


@router.get(
    "/me/enrollments",
    summary="My cohorts and courses",
    **responses(200, list_envelope(MyEnrollmentOut), {**AUTH, **VALIDATION}),
)
def my_enrollments(request: HttpRequest, filters: Query[MyEnrollmentFilters]):
    """The caller's cohorts (default: active enrollments), by start, each with its courses."""
    enrollments = list_member_enrollments(member=request.auth, status=filters.status).prefetch_related(
        Prefetch(
            "batch__batch_courses", queryset=BatchCourse.objects.select_related("course").order_by("position", "id")
        )
    )
    progress: dict[int, Decimal] = dict(
        CourseEnrollment.objects.filter(member=request.auth).values_list("course_id", "progress")
    )

    def render(enrollment: BatchEnrollment) -> dict[str, Any]:
        batch = enrollment.batch
        return {
            **enrollment_data(enrollment),
            "batch_title": batch.title,
            "starts_at": instant(batch.starts_at),
            "ends_at": instant(batch.ends_at),
            "timezone": batch.timezone,
            "courses": [
                {
                    "name": link.course.name,
                    "title": link.course.title,
                    "progress": float(progress.get(link.course_id, 0)),
                }
                for link in batch.batch_courses.all()
            ],
        }

    return paginate(enrollments, filters, render)


@router.delete(
    "/me/enrollments/{batch}",
    summary="Leave a cohort or its waitlist",
    **responses(
        204,
        None,
        {
            **AUTH,
            403: "`self_cancel_closed`: You cannot cancel your enrollment in this cohort.",
            404: "`not_found`: No cohort named {name}. `not_enrolled`: {email} is not enrolled in this cohort.",
            409: "`cohort_started`: This cohort has already started.",
            **VALIDATION,
        },
    ),
)
def leave_batch(request: HttpRequest, batch: BatchName):
    """Leave a cohort (or its waitlist) that allows it (`allow_self_cancel`) and has not started. The
    seat goes to the first on the waitlist; the cohort's course access is withdrawn."""
    cohort = get_batch(name=batch, visible_to=request.auth)
    cancel_own_enrollment(batch=cohort, member=request.auth, source=Source.API)
    return Status(204, None)


@router.get(
    "/me/timetable", summary="My live classes", **responses(200, list_envelope(LiveClassOut), {**AUTH, **VALIDATION})
)
def my_timetable(request: HttpRequest, page: Query[Page]):
    """The live classes of the caller's active cohorts, in time order, with instants and time zones."""
    return paginate(_live_classes(request.auth), page, _live_class_data)
