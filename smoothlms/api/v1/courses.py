"""Courses: create and change (Course Creator, Moderator)."""

from __future__ import annotations

from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Router
from ninja.responses import Status
from pydantic import BaseModel, Field, StrictInt

from smoothlms.api.v1.auth import COURSE_EDITORS, require_roles
from smoothlms.api.v1.errors import AUTH, BODY, VALIDATION, responses
from smoothlms.api.v1.schemas import Flag, Input, envelope, text
from smoothlms.catalog.models import Course
from smoothlms.catalog.selectors import get_course
from smoothlms.catalog.services import create_course, update_course

router = Router(tags=["courses"])

Name = text(140, description="Lower-case letters, digits and hyphens.")
Title = text(200, min_length=1)
Description = text()
ValidityMonths = Annotated[StrictInt, Field(ge=1, le=600, description="Months a certificate stays valid.")]
ControlId = text(140, description="Compliance control id, e.g. ISO-27001-A.7.")


class CourseIn(Input):
    name: Name = Field("", description="Default: a unique slug of the title.")
    title: Title
    description: Description = ""
    published: Flag = False
    certificate: Flag = Field(False, description="Issue a certificate when a member completes the course.")
    validity_months: ValidityMonths | None = Field(None, description="null: certificates do not expire.")
    control_id: ControlId = ""


class CoursePatch(Input):
    title: Title = None  # type: ignore[assignment]
    description: Description = None  # type: ignore[assignment]
    published: Flag = None  # type: ignore[assignment]
    certificate: Flag = None  # type: ignore[assignment]
    validity_months: ValidityMonths | None = None
    control_id: ControlId = None  # type: ignore[assignment]


class CourseOut(BaseModel):
    name: str
    title: str
    description: str
    published: bool
    certificate: bool
    validity_months: int | None
    control_id: str


def course_data(course: Course) -> dict[str, Any]:
    return {
        "name": course.name,
        "title": course.title,
        "description": course.description,
        "published": course.published,
        "certificate": course.certificate,
        "validity_months": course.validity_months,
        "control_id": course.control_id,
    }


FORBIDDEN = {403: "`permission_denied`: only Course Creators and Moderators edit courses."}


@router.post(
    "/courses",
    summary="Create a course",
    **responses(
        201,
        envelope(CourseOut),
        {**AUTH, **FORBIDDEN, 409: "`name_taken`: The name {name} is already used.", **BODY, **VALIDATION},
    ),
)
def create_course_endpoint(request: HttpRequest, body: CourseIn):
    """Create a course; `name` defaults to a unique slug of the title."""
    require_roles(request.auth, *COURSE_EDITORS)
    course = create_course(actor=request.auth, **body.model_dump())
    return Status(201, {"data": course_data(course)})


@router.patch(
    "/courses/{name}",
    summary="Change a course",
    **responses(
        200,
        envelope(CourseOut),
        {**AUTH, **FORBIDDEN, 404: "`not_found`: No course named {name}.", **BODY, **VALIDATION},
    ),
)
def change_course_endpoint(request: HttpRequest, name: Name, body: CoursePatch):
    """Change a course's title, description, `published` or its certificate settings."""
    require_roles(request.auth, *COURSE_EDITORS)
    course = update_course(course=get_course(name=name), actor=request.auth, **body.model_dump(exclude_unset=True))
    return {"data": course_data(course)}
