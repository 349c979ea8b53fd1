"""Email delivery: queueing confirmations after commit."""

from __future__ import annotations

from functools import partial

from django.db import transaction

from smoothlms.core.db import chunked

TASK_CHUNK = 200


def queue_confirmation_emails(*, enrollment_ids: list[int]) -> None:
    """Send the confirmation of each enrollment once the current transaction commits.

    The enrollment rows are the outbox (confirmation_email_status = pending): a rolled-back
    enrollment queues nothing, and a lost enqueue is picked up by the periodic sweep."""
    from smoothlms.notifications.tasks import send_confirmation_emails

    for ids in chunked(enrollment_ids, TASK_CHUNK):
        # partial, not a lambda: a lambda in a loop would capture `ids` late.
        transaction.on_commit(partial(send_confirmation_emails.enqueue, ids))
