"""Logging filters: an answer is not an incident."""

from __future__ import annotations

import logging

# Refusals the rules give on purpose (payment required, a rule's conflict, invalid input): the client
# is told why; a WARNING line for each would bury real problems under expected traffic.
EXPECTED_REFUSALS = frozenset({402, 409, 422})


class DropExpectedRefusals(logging.Filter):
    """Drops django.request's line for a response whose status is an expected refusal."""

    def filter(self, record: logging.LogRecord) -> bool:
        return getattr(record, "status_code", None) not in EXPECTED_REFUSALS
