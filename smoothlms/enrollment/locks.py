"""Row locks of the enrollment engine. Lock in primary-key order and reload after locking."""

from __future__ import annotations

from operator import attrgetter

from smoothlms.catalog.models import Batch
from smoothlms.core.db import select_for_update


def lock_batches(*batches: Batch) -> None:
    """Row-lock and reload each batch, in pk order, so two transactions that lock several batches
    cannot deadlock. The seat counter is then read as committed, and no other enrollment of these
    batches can commit until this transaction does. SQLite has no row locks: there the enrolling
    transaction is opened IMMEDIATE (settings), which serialises writers from its first statement."""
    for batch in sorted(batches, key=attrgetter("pk")):
        # no_key (PostgreSQL; MariaDB has only FOR UPDATE): we change seats_taken, never the key,
        # so inserts of rows that reference the batch (enrollments, course links) are not blocked.
        batch.refresh_from_db(from_queryset=select_for_update(Batch.objects.all()))
