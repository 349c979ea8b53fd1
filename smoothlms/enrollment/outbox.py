"""The enrollment row is the outbox of its confirmation email (confirmation_email_status and the
fields around it). What a fresh start of that outbox writes is defined here once: by enrolling,
by reactivating a cancelled seat, and by "Resend confirmation"."""

from __future__ import annotations

from typing import Any

from smoothlms.enrollment.models import EmailStatus

NOT_NOTIFIED = "Not sent: notify was off for this enrollment."


def fresh_email_state(*, notify: bool = True) -> dict[str, Any]:
    """The outbox fields of an enrollment whose confirmation is still to be sent (pending, no
    attempt, no error), or that will not be sent (`notify` off: skipped, with the reason)."""
    return {
        "confirmation_email_status": EmailStatus.PENDING if notify else EmailStatus.SKIPPED,
        "confirmation_email_sent": False,
        "confirmation_email_sent_at": None,
        "confirmation_email_attempts": 0,
        "confirmation_email_next_attempt": None,
        "confirmation_email_error": "" if notify else NOT_NOTIFIED,
    }
