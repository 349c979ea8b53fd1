"""Quiz submissions as compliance evidence: the reader that training.compliance is given (quizzes
live above training, so the ledger cannot read them itself)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from smoothlms.assessments.models import QuizSubmission
from smoothlms.training.compliance import QuizEvidence


def list_quiz_evidence(
    *, user_ids: Sequence[int], course_ids: Sequence[int]
) -> dict[tuple[int, int], list[QuizEvidence]]:
    """The passing quiz submissions of these users in these courses, oldest first, per (user,
    course). One query."""
    found: dict[tuple[int, int], list[QuizEvidence]] = defaultdict(list)
    rows = (
        QuizSubmission.objects.filter(member_id__in=user_ids, course_id__in=course_ids, passed=True)
        .order_by("submitted_at", "id")
        .values_list("member_id", "course_id", "id", "quiz_title", "percentage", "submitted_at")
    )
    for user_id, course_id, pk, quiz, percentage, submitted_at in rows:
        found[(user_id, course_id)].append(QuizEvidence(pk, quiz, percentage, submitted_at))
    return found
