"""Bad input gets a clear error in the one envelope, never a 500, and writes nothing."""

import pytest
from django.conf import settings

from smoothlms.api.tests.conftest import error_of
from smoothlms.api.v1.errors import status_for
from smoothlms.catalog.errors import BatchNotFound, InvalidBatch, NameTaken
from smoothlms.catalog.models import Batch
from smoothlms.enrollment.errors import CannotEnrollOthers, CohortFull, OverrideReasonRequired, PaymentMissing
from smoothlms.enrollment.models import BatchEnrollment
from smoothlms.people.errors import UserNotFound

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "error, status",
    [
        (BatchNotFound(name="x"), 404),
        (UserNotFound(email="x"), 404),
        (CannotEnrollOthers(), 403),
        (CohortFull(), 409),
        (NameTaken(name="x"), 409),
        (OverrideReasonRequired(), 422),
        (InvalidBatch(detail="x", fields=[]), 422),
        (PaymentMissing(), 402),
    ],
)
def test_domain_error_categories_map_to_statuses(error, status):
    assert status_for(error) == status


@pytest.mark.parametrize("raw", ["{not json", "{'single': 'quotes'}", "\x00", '{"title": }'])
def test_a_body_that_is_not_json_is_bad_request(api, moderator, raw):
    assert error_of(api(moderator).post("/batches", raw=raw)) == (
        400,
        "bad_request",
        "The request body is not valid JSON.",
    )
    assert not Batch.objects.exists()


@pytest.mark.parametrize("raw", ["[1, 2]", '"text"', "42", "null", ""])
def test_json_that_is_not_an_object_is_a_validation_error(api, moderator, raw):
    response = api(moderator).post("/batches", raw=raw)
    assert error_of(response)[:2] == (422, "validation_error")
    assert response.json()["error"]["params"]["fields"] == ["body"]


def test_oversized_body_is_payload_too_large(api, moderator, batch):
    raw = '{"members": ["' + "x" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE + '"]}'
    assert error_of(api(moderator).post(f"/batches/{batch.name}/enrollments/bulk", raw=raw)) == (
        413,
        "payload_too_large",
        f"The request body is larger than the limit of {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes.",
    )
    assert not BatchEnrollment.objects.exists()


def test_oversized_body_without_a_valid_token_is_still_not_authenticated(api):
    raw = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    assert error_of(api().post("/batches", raw=raw))[:2] == (401, "not_authenticated")


def test_validation_errors_name_every_field(api, moderator):
    response = api(moderator).post(
        "/batches", {"title": 5, "start_date": "31/12/2031", "seat_count": "many", "timezone": "UTC", "unknown": 1}
    )
    error = response.json()["error"]
    assert response.status_code == 422 and error["code"] == "validation_error"
    assert error["params"]["fields"] == [
        "title",
        "start_date",
        "start_time",
        "end_date",
        "end_time",
        "seat_count",
        "unknown",
    ]
    assert "unknown: unknown field" in error["message"] and "start_time: required" in error["message"]


def test_nul_characters_are_refused_not_stored(api, moderator, batch):
    caller = api(moderator)
    assert error_of(caller.patch(f"/batches/{batch.name}", {"description": "a\u0000b"}))[:2] == (
        422,
        "validation_error",
    )
    assert error_of(caller.get("/batches/a%00b"))[:2] == (422, "validation_error")
    assert error_of(caller.post(f"/batches/{batch.name}/enrollments/bulk", {"members": ["a\u0000@x.com"]}))[:2] == (
        422,
        "validation_error",
    )


def test_huge_numbers_are_validation_errors(api, moderator, batch, student):
    caller = api(moderator)
    assert error_of(caller.patch(f"/batches/{batch.name}", {"seat_count": 10**20}))[:2] == (422, "validation_error")
    assert error_of(caller.get("/batches", offset=10**20))[:2] == (422, "validation_error")
    assert error_of(api(student).post(f"/batches/{batch.name}/enroll", {"payment": 10**30}))[:2] == (
        422,
        "validation_error",
    )


def test_unknown_path_and_wrong_method_answer_in_the_envelope(api, student):
    caller = api(student)
    assert error_of(caller.get("/nowhere")) == (404, "not_found", "No API endpoint at /api/v1/nowhere.")
    response = caller.request("PUT", "/batches")
    assert error_of(response)[:2] == (405, "method_not_allowed")
    assert set(response["Allow"].split(", ")) == {"GET", "POST"}
