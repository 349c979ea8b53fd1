"""Reads on enrollments: rosters, a member's cohorts and courses."""

from __future__ import annotations

from django.db.models import QuerySet

from smoothlms.catalog.models import Batch
from smoothlms.enrollment.models import BatchEnrollment, CourseEnrollment, EnrollmentStatus
from smoothlms.people.models import User


def list_roster(*, batch: Batch, status: str | None = EnrollmentStatus.ACTIVE) -> QuerySet[BatchEnrollment]:
    """A cohort's enrollments (default: active; None or "all": every status), oldest first."""
    queryset = BatchEnrollment.objects.filter(batch=batch).select_related("member", "batch")
    if status and status != "all":
        queryset = queryset.filter(status=status)
    return queryset.order_by("created_at", "id")


def list_member_enrollments(*, member: User, status: str | None = EnrollmentStatus.ACTIVE
                            ) -> QuerySet[BatchEnrollment]:
    queryset = BatchEnrollment.objects.filter(member=member).select_related("batch", "member")
    if status and status != "all":
        queryset = queryset.filter(status=status)
    return queryset.order_by("batch__start_date", "batch__start_time", "id")


def list_member_courses(*, member: User) -> QuerySet[CourseEnrollment]:
    return (CourseEnrollment.objects.filter(member=member)
            .select_related("course", "enrollment_from_batch").order_by("course__title", "id"))


def count_active(*, batch: Batch) -> int:
    return BatchEnrollment.objects.filter(batch=batch, status=EnrollmentStatus.ACTIVE).count()
