"""The facts `refusal_for` needs, read by the enrolling paths inside their transaction, after the
cohort's row lock: what they read cannot change before they commit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from smoothlms.catalog.models import Batch, BatchCourse
from smoothlms.enrollment.models import BatchEnrollment, EnrollmentStatus
from smoothlms.enrollment.rules import CohortFacts
from smoothlms.people.models import Employee, User
from smoothlms.people.roles import student_memberships


def first_unpublished_course(batch: Batch) -> str | None:
    return (
        BatchCourse.objects.filter(batch=batch, course__published=False)
        .order_by("position", "id")
        .values_list("course__name", flat=True)
        .first()
    )


def read_cohort_facts(batch: Batch, *, now: dt.datetime) -> CohortFacts:
    """`batch` has just been locked and reloaded."""
    return CohortFacts.of(batch, unpublished_course=first_unpublished_course(batch), now=now)


def is_active(enrollment: BatchEnrollment | None) -> bool:
    """Holds a seat, or a place on the waitlist: enrolling again is `already_enrolled` either way."""
    return enrollment is not None and enrollment.status in (EnrollmentStatus.ACTIVE, EnrollmentStatus.WAITLISTED)


@dataclass(frozen=True)
class MembersRead:
    """What the bulk path reads once per chunk for all its members: four queries."""

    users: dict[str, User]  # by email
    students: set[int]  # user ids with the LMS Student role
    enrollments: dict[int, BatchEnrollment]  # their rows in the cohort (any status), by user id
    employees: set[int]  # user ids that an HR Employee record links

    @classmethod
    def of(cls, batch: Batch, emails: Iterable[str]) -> MembersRead:
        users = {user.email: user for user in User.objects.filter(email__in=set(emails))}
        ids = [user.pk for user in users.values()]
        return cls(
            users=users,
            students=set(student_memberships().filter(user_id__in=ids).values_list("user_id", flat=True)),
            enrollments={e.member_id: e for e in BatchEnrollment.objects.filter(batch=batch, member_id__in=ids)},
            employees=set(Employee.objects.filter(user_id__in=ids).values_list("user_id", flat=True)),
        )
