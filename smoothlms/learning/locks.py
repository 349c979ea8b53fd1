"""Row locks of the learning services. Each locks one row, so no lock order can deadlock.

SQLite has no row locks: there the transaction is opened IMMEDIATE (settings), which serialises
writers."""

from __future__ import annotations

from smoothlms.catalog.models import Course
from smoothlms.core.db import select_for_update
from smoothlms.enrollment.models import CourseEnrollment
from smoothlms.learning.selectors import active_course_enrollments, lesson_count
from smoothlms.people.models import User


def lock_course_content(course: Course) -> None:
    """Serialise changes to a course's outline: positions are read and rewritten under it."""
    # no_key: the course's key never changes, so rows that reference it are not blocked.
    select_for_update(Course.objects.filter(pk=course.pk)).values_list("pk", flat=True).first()


def lock_course_enrollment(*, member: User, course: Course) -> CourseEnrollment | None:
    """Lock and return the member's active course enrollment (None without access). Every write on
    the member's progress in the course takes it first, so lesson rows and the course progress
    computed from them are read as committed and written by one transaction at a time. The row
    comes alone (no joins: `member` and `course` are set from the arguments) with `lesson_count`,
    the course's lessons, read by the same statement."""
    queryset = active_course_enrollments(member=member, course=course).annotate(lesson_count=lesson_count(course))
    enrollment = select_for_update(queryset, of=("self",)).first()
    if enrollment is not None:
        enrollment.member, enrollment.course = member, course
    return enrollment
