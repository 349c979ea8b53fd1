"""Row locks of the learning services. Each locks one row, so no lock order can deadlock.

SQLite has no row locks: there the transaction is opened IMMEDIATE (settings), which serialises
writers."""

from __future__ import annotations

from smoothlms.catalog.models import Course
from smoothlms.core.db import select_for_update
from smoothlms.learning.progress_sql import LockedEnrollment, lock_step
from smoothlms.people.models import User


def lock_course_content(course: Course) -> None:
    """Serialise changes to a course's outline: positions are read and rewritten under it."""
    # no_key: the course's key never changes, so rows that reference it are not blocked.
    select_for_update(Course.objects.filter(pk=course.pk)).values_list("pk", flat=True).first()


def lock_course_enrollment(*, member: User, lesson_id: int) -> LockedEnrollment | None:
    """Lock and return the member's active enrollment in the lesson's course (None without access
    or without the lesson). Every write on the member's progress in the course takes it first, so
    lesson rows and the course progress computed from them are read as committed and written by
    one transaction at a time. The row comes alone (no joins) with the lesson and the course's
    lessons, read by the same statement."""
    return lock_step(member_id=member.pk, lesson_id=lesson_id)
