"""An expected refusal (409 and friends) writes no WARNING line; a server error still does."""

from __future__ import annotations

import logging

from smoothlms.catalog.tests.factories import BatchFactory
from smoothlms.core.logfilters import DropExpectedRefusals
from smoothlms.people.tests.factories import UserFactory


def record(status: int) -> logging.LogRecord:
    entry = logging.LogRecord("django.request", logging.WARNING, __file__, 1, "Conflict: /api/v1/x", (), None)
    entry.status_code = status
    return entry


def test_refusals_are_dropped_and_errors_kept():
    keep = DropExpectedRefusals().filter
    assert not keep(record(409)) and not keep(record(402)) and not keep(record(422))
    assert keep(record(500)) and keep(record(404)) and keep(record(403))


def test_a_409_over_http_writes_no_warning_line(client, db):
    batch = BatchFactory(seat_count=0)
    client.force_login(UserFactory())
    handler = logging.getLogger("django.request").handlers[0]
    seen: list[logging.LogRecord] = []
    handler.addFilter(lambda r: seen.append(r) or True)
    response = client.post(f"/api/v1/batches/{batch.name}/enroll", content_type="application/json", data={})
    assert response.status_code == 409
    assert not [r for r in seen if getattr(r, "status_code", None) == 409 and handler.filter(r)]
