"""The NinjaAPI at /api/v1 and the one place where routers are registered."""

from __future__ import annotations

from ninja import NinjaAPI, Router
from ninja.operation import Operation

from smoothlms.api.v1 import (
    assessments,
    batches,
    certificates,
    content,
    courses,
    employees,
    enrollments,
    me,
    users,
)
from smoothlms.api.v1.auth import API_AUTH
from smoothlms.api.v1.docs import OfflineSwagger
from smoothlms.api.v1.errors import install_error_handlers

DESCRIPTION = """\
Cohort enrollment for organisations that train their employees.

**Auth**: the header `Authorization: token KEY:SECRET` (`smoothlms api_key EMAIL` prints a pair), or
the session cookie of `/login` with the `X-CSRFToken` header.

**Success**: `{"data": ...}`; lists add `"count"` (the total) and take `limit` (default 20, max 500)
and `offset`. Creating answers 201, reading and changing 200, cancelling 204.

**Errors**: `{"error": {"code": "...", "message": "...", "params": {...}}}` with 400 `bad_request`
(a body that is not JSON), 401 `not_authenticated`, 403 `permission_denied`, 404 `not_found`,
413 `payload_too_large`, 422 `validation_error` (`params.fields` names the fields), 409 for rule
refusals and 402 for payment. Enrollment checks run in a fixed order; the first that fails answers.

**Times**: dates `YYYY-MM-DD`, times `HH:MM[:SS]` (wall-clock, in the cohort's `timezone`), instants
ISO 8601 with offset.
"""


class SmoothAPI(NinjaAPI):
    def get_openapi_operation_id(self, operation: Operation) -> str:
        return operation.view_func.__name__  # unique across the routers; stable for client generators


api = SmoothAPI(
    title="Smooth LMS API",
    version="1",
    description=DESCRIPTION,
    auth=API_AUTH,
    docs=OfflineSwagger(),
    urls_namespace="api-v1",
)
install_error_handlers(api)

# Every router of the API, mounted at /api/v1 (each names its full paths). Add new ones here.
ROUTERS: list[Router] = [
    users.router,
    courses.router,
    batches.router,
    enrollments.router,
    me.router,
    employees.router,
    content.router,
    assessments.router,
    certificates.router,
]
for router in ROUTERS:
    api.add_router("", router)
