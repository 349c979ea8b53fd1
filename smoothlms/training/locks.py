"""Row locks on training assignments. Lock in primary-key order and reload after locking."""

from __future__ import annotations

from operator import attrgetter

from smoothlms.core.db import select_for_update
from smoothlms.training.models import TrainingAssignment


def lock_assignments(*assignments: TrainingAssignment) -> None:
    """Row-lock and reload each assignment, in pk order: two desk users extending the same due
    date, or a completion racing an extension, are applied one after the other on what the other
    committed."""
    for assignment in sorted(assignments, key=attrgetter("pk")):
        assignment.refresh_from_db(from_queryset=select_for_update(TrainingAssignment.objects.all()))
