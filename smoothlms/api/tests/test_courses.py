"""Courses over the API (Course Creator, Moderator): create and change."""

import pytest

from smoothlms.api.tests.conftest import error_of
from smoothlms.catalog.models import Course
from smoothlms.catalog.tests.factories import CourseFactory
from smoothlms.people.roles import Role
from smoothlms.people.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def creator(db):
    return UserFactory(roles=[Role.COURSE_CREATOR])


def test_course_creator_creates_a_course_named_after_its_title(api, creator):
    response = api(creator).post("/courses", {"title": "Safety at Work"})
    assert response.status_code == 201
    assert response.json()["data"] == {
        "name": "safety-at-work",
        "title": "Safety at Work",
        "description": "",
        "published": False,
        "certificate": False,
        "validity_months": None,
        "control_id": "",
    }


def test_moderator_creates_a_published_course_with_a_name(api, moderator):
    data = api(moderator).post("/courses", {"name": "fire-101", "title": "Fire", "published": True}).json()["data"]
    assert (data["name"], data["published"]) == ("fire-101", True)


def test_create_refuses_a_taken_name(api, creator):
    taken = CourseFactory()
    assert error_of(api(creator).post("/courses", {"name": taken.name, "title": "Again"})) == (
        409,
        "name_taken",
        f"The name {taken.name} is already used.",
    )


@pytest.mark.parametrize(
    "body, field",
    [
        ({"name": "Not A Slug!", "title": "x"}, "name"),
        ({"title": ""}, "title"),
        ({}, "title"),
        ({"title": "x", "level": 3}, "level"),
    ],
)
def test_create_refuses_bad_fields(api, creator, body, field):
    response = api(creator).post("/courses", body)
    assert error_of(response)[:2] == (422, "validation_error")
    assert response.json()["error"]["params"]["fields"] == [field]
    assert not Course.objects.exists()


def test_change_a_course(api, creator):
    course = CourseFactory(published=False)
    response = api(creator).patch(f"/courses/{course.name}", {"published": True, "title": "New title"})
    assert response.status_code == 200
    course.refresh_from_db()
    assert (course.published, course.title) == (True, "New title")


def test_change_an_unknown_course(api, creator):
    assert error_of(api(creator).patch("/courses/nope", {"published": True})) == (
        404,
        "not_found",
        "No course named nope.",
    )


def test_change_refuses_null_title(api, creator):
    course = CourseFactory()
    assert error_of(api(creator).patch(f"/courses/{course.name}", {"title": None}))[:2] == (422, "validation_error")


@pytest.mark.parametrize("role", [Role.BATCH_EVALUATOR, Role.HR_MANAGER, Role.LMS_STUDENT])
def test_other_roles_cannot_edit_courses(api, role):
    course = CourseFactory(published=False)
    caller = api(UserFactory(roles=[role]))
    assert error_of(caller.post("/courses", {"title": "Mine"}))[:2] == (403, "permission_denied")
    assert error_of(caller.patch(f"/courses/{course.name}", {"published": True}))[:2] == (403, "permission_denied")
    course.refresh_from_db()
    assert not course.published and Course.objects.count() == 1


def test_course_certificate_settings_are_set_and_changed(api, creator):
    data = (
        api(creator)
        .post(
            "/courses",
            {"title": "Fire Safety", "certificate": True, "validity_months": 12, "control_id": "ISO45001-7.2"},
        )
        .json()["data"]
    )
    assert (data["certificate"], data["validity_months"], data["control_id"]) == (True, 12, "ISO45001-7.2")
    changed = api(creator).patch(f"/courses/{data['name']}", {"validity_months": None}).json()["data"]
    assert (changed["certificate"], changed["validity_months"]) == (True, None)


def test_course_validity_months_must_be_positive(api, creator):
    response = api(creator).post("/courses", {"title": "Fire Safety", "validity_months": 0})
    assert response.status_code == 422
    assert response.json()["error"]["params"]["fields"] == ["validity_months"]
