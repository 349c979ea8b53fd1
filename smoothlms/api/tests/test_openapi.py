"""The OpenAPI document is what the API does: schemathesis fuzzes every operation in-process
(WSGI) and checks that no answer is a 5xx and that every answer (status, content type, body)
matches the document. Bounded so that it runs in seconds."""

from __future__ import annotations

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from smoothlms.catalog.tests.factories import BatchFactory, CourseFactory, LiveClassFactory
from smoothlms.config.wsgi import application
from smoothlms.enrollment.services import enroll
from smoothlms.people.roles import Role
from smoothlms.people.services import issue_api_key
from smoothlms.people.tests.factories import UserFactory

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
COHORT, COURSE, LEARNER = "fuzz-cohort", "fuzz-course", "fuzz.learner@example.com"


@pytest.fixture
def in_test_transaction(db):
    """Django closes old database connections around each request, which would close the test's
    own transaction; its test client switches that off, and so must a plain WSGI call."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def fuzz_headers(in_test_transaction) -> dict[str, str]:
    """A cohort, a course, an enrolled learner with a live class, and the token of a caller who may
    do everything (so that fuzzing gets past the role checks)."""
    course = CourseFactory(name=COURSE)
    batch = BatchFactory(name=COHORT, courses=[course], seat_count=50)
    LiveClassFactory(batch=batch)
    caller = UserFactory(roles=[Role.SYSTEM_MANAGER, Role.MODERATOR, Role.LMS_STUDENT])
    for member in (UserFactory(email=LEARNER), caller):
        enroll(batch=batch, member=member, actor=None, source="desk")
    return {"Authorization": f"token {issue_api_key(user=caller)}"}


def _aim_at_known_things(case) -> None:
    """Point about half the cases with valid path parameters at things that exist, so that fuzzing
    reaches past the 404s. Cases meant to be invalid in their path are left alone."""
    component = case.meta.components.get(ParameterLocation.PATH) if case.meta else None
    if not case.path_parameters or (component is not None and component.mode.is_negative):
        return
    if sum(len(str(value)) for value in case.path_parameters.values()) % 2:
        return
    known = {"name": COURSE if "/courses/" in case.operation.path else COHORT, "email": LEARNER, "member": LEARNER}
    case.path_parameters = {key: known.get(key, value) for key, value in case.path_parameters.items()}


# Loaded when the module is collected: the document is built without the database.
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)


@schema.parametrize()
@settings(max_examples=15, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
def test_api_matches_its_openapi_document(case, fuzz_headers):
    _aim_at_known_things(case)
    case.call_and_validate(headers=fuzz_headers, checks=CHECKS)


def test_every_operation_documents_its_error_responses(client):
    document = client.get("/api/v1/openapi.json").json()
    operations = {
        (method.upper(), path): operation
        for path, item in document["paths"].items()
        for method, operation in item.items()
    }
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}
    for (method, path), operation in operations.items():
        if "security" in operation:
            assert operation["responses"]["401"]["content"] == error, (method, path)
        if "requestBody" in operation:
            assert {"400", "413", "422"} <= set(operation["responses"]), (method, path)
    assert set(operations["POST", "/api/v1/batches/{name}/enroll"]["responses"]) == {
        "201",
        "400",
        "401",
        "402",
        "403",
        "404",
        "409",
        "413",
        "422",
    }
    assert set(operations["DELETE", "/api/v1/batches/{name}/enrollments/{member}"]["responses"]) == {
        "204",
        "401",
        "403",
        "404",
        "422",
    }
    assert "cohort_full" in operations["POST", "/api/v1/batches/{name}/enroll"]["responses"]["409"]["description"]


def test_docs_page_loads_nothing_from_outside(client):
    html = client.get("/api/v1/docs").content.decode()
    assert "swagger-ui-bundle.js" in html and "http://" not in html and "https://" not in html
    assert client.get("/api/v1/docs/assets/swagger-ui-bundle.js").status_code == 200
    assert client.get("/api/v1/docs/assets/..%2Fsettings.py").status_code == 404
