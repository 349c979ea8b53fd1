"""The one retry and lease policy of every email the system sends (confirmations, reminders,
set-password emails): how long a claim holds a row, how long to wait after a failure, when to
give up. Read by delivery (which applies it) and by selectors (which pick what is due)."""

from __future__ import annotations

import datetime as dt

MAX_ATTEMPTS = 8
BACKOFF_MINUTES = (1, 5, 30)  # after the 1st, 2nd, 3rd failed attempt; hourly after that
CLAIM_SECONDS = 300  # well above one message's worst case (EMAIL_TIMEOUT is 20 s per SMTP step)
ERROR_LENGTH = 1000
# A row enqueued after its commit is normally sent within seconds: the sweep leaves fresh rows
# alone for this long so that it does not enqueue them a second time while their task is queued.
SWEEP_GRACE = dt.timedelta(minutes=2)


def retry_delay(attempts: int) -> dt.timedelta:
    """Wait after the `attempts`-th failed attempt: 1, 5, 30 minutes, then hourly."""
    return dt.timedelta(minutes=BACKOFF_MINUTES[attempts - 1] if attempts <= len(BACKOFF_MINUTES) else 60)
