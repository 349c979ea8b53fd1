"""Desk lists read in a fixed number of queries, however many rows they show."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from smoothlms.catalog.tests.factories import BatchFactory, CourseFactory
from smoothlms.enrollment.services import bulk_enroll
from smoothlms.people.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LISTS = [
    "/app/catalog/batch/",
    "/app/catalog/course/",
    "/app/enrollment/batchenrollment/",
    "/app/enrollment/courseenrollment/",
    "/app/people/user/",
    "/app/people/employee/",
    "/app/core/enrollmentevent/",
    "/app/training/trainingassignment/",
]


def add_cohorts(count: int) -> None:
    for _ in range(count):
        batch = BatchFactory(courses=[CourseFactory()], seat_count=None)
        bulk_enroll(
            batch=batch, members=[UserFactory().email for _ in range(2)], actor=None, source="desk", notify=False
        )


def queries(client, path: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(path).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("path", LISTS)
def test_desk_list_query_count_does_not_grow_with_rows(mod_client, path):
    add_cohorts(2)
    few = queries(mod_client, path)
    add_cohorts(8)
    assert queries(mod_client, path) == few
