"""Row locks of assessments. Lock in primary-key order and reload after locking."""

from __future__ import annotations

from smoothlms.assessments.models import AssignmentSubmission
from smoothlms.core.db import select_for_update
from smoothlms.people.models import User


def lock_learner(member: User) -> None:
    """Row-lock the learner's User row for the rest of the transaction. It serialises one learner's
    attempts (a start or a submission counts attempts, then inserts one), so two submissions
    racing for the last attempt see each other: the second counts the first. Other learners are
    not held up. SQLite has no row locks: there the transaction is IMMEDIATE (settings)."""
    # no_key (PostgreSQL): we never change the user's key, so rows that reference the user
    # (enrollments, events) can still be inserted meanwhile.
    select_for_update(User.objects.filter(pk=member.pk)).values_list("pk", flat=True).get()


def lock_assignment_submission(submission: AssignmentSubmission) -> AssignmentSubmission:
    """Row-lock and reload a submission before grading it: two graders of the same submission
    are serialised, and the second sees the first one's grade."""
    return select_for_update(AssignmentSubmission.objects.filter(pk=submission.pk)).get()
