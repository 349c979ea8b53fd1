"""The permission matrix: every endpoint against each role of CONTRACT.md section 2, anonymous
callers, a bad token and a disabled user's token."""

import pytest

from smoothlms.api.tests.conftest import Api, disabled_caller
from smoothlms.catalog.tests.factories import BatchFactory, CourseFactory
from smoothlms.enrollment.services import enroll
from smoothlms.people.roles import Role
from smoothlms.people.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ROLES = {
    "system_manager": Role.SYSTEM_MANAGER,
    "moderator": Role.MODERATOR,
    "course_creator": Role.COURSE_CREATOR,
    "batch_evaluator": Role.BATCH_EVALUATOR,
    "hr_manager": Role.HR_MANAGER,
    "student": Role.LMS_STUDENT,
}
STRANGERS = ["anonymous", "bad_token", "disabled"]


def only(*who: str, status: int, others: int = 403) -> dict[str, int]:
    return {role: status if role in who else others for role in ROLES}


EVERYONE = tuple(ROLES)
ENDPOINTS = {
    "create user": ("POST", "/users", {"email": "new@example.com"}, only("system_manager", status=201)),
    "read user": ("GET", "/users/{member}", None, only("system_manager", status=200)),
    "change user": ("PATCH", "/users/{member}", {"enabled": True}, only("system_manager", status=200)),
    "create course": (
        "POST",
        "/courses",
        {"title": "New course"},
        only("system_manager", "moderator", "course_creator", status=201),
    ),
    "change course": (
        "PATCH",
        "/courses/{course}",
        {"title": "Renamed"},
        only("system_manager", "moderator", "course_creator", status=200),
    ),
    "list cohorts": ("GET", "/batches", None, only(*EVERYONE, status=200)),
    "create cohort": (
        "POST",
        "/batches",
        {
            "title": "New",
            "start_date": "2031-01-05",
            "start_time": "09:00",
            "end_date": "2031-01-06",
            "end_time": "17:00",
            "timezone": "UTC",
        },
        only("system_manager", "moderator", status=201),
    ),
    "read cohort": ("GET", "/batches/{batch}", None, only(*EVERYONE, status=200)),
    "change cohort": (
        "PATCH",
        "/batches/{batch}",
        {"title": "Renamed"},
        only("system_manager", "moderator", status=200),
    ),
    # Open to everyone signed in; users without the LMS Student role are refused by the rules (409).
    "self-enroll": ("POST", "/batches/{batch}/enroll", None, only("student", status=201, others=409)),
    "roster": (
        "GET",
        "/batches/{batch}/enrollments",
        None,
        only("system_manager", "moderator", "batch_evaluator", status=200),
    ),
    "enroll one": (
        "POST",
        "/batches/{batch}/enrollments",
        {"member": "{fresh}"},
        only("system_manager", "moderator", status=201),
    ),
    "enroll many": (
        "POST",
        "/batches/{batch}/enrollments/bulk",
        {"members": ["{fresh}"]},
        only("system_manager", "moderator", status=200),
    ),
    "cancel": (
        "DELETE",
        "/batches/{batch}/enrollments/{member}",
        None,
        only("system_manager", "moderator", status=204),
    ),
    "my enrollments": ("GET", "/me/enrollments", None, only(*EVERYONE, status=200)),
    "my timetable": ("GET", "/me/timetable", None, only(*EVERYONE, status=200)),
}
CASES = [(endpoint, who) for endpoint in ENDPOINTS for who in [*ROLES, *STRANGERS]]


def caller_for(who: str) -> Api:
    if who == "anonymous":
        return Api()
    if who == "bad_token":
        return Api(authorization="token 0123456789abcdef:not-the-secret")
    if who == "disabled":
        return disabled_caller()
    return Api(UserFactory(roles=[ROLES[who]]))


@pytest.mark.parametrize("endpoint, who", CASES, ids=[f"{e}-{w}" for e, w in CASES])
def test_permission_matrix(endpoint, who):
    method, path, body, expected = ENDPOINTS[endpoint]
    batch = BatchFactory(courses=[CourseFactory()])
    member, fresh = UserFactory(), UserFactory()
    enroll(batch=batch, member=member, actor=None, source="desk")
    names = {"batch": batch.name, "member": member.email, "fresh": fresh.email, "course": CourseFactory().name}
    if body is not None:
        body = {
            key: (
                [v.format(**names) for v in value]
                if isinstance(value, list)
                else value.format(**names)
                if isinstance(value, str)
                else value
            )
            for key, value in body.items()
        }
    response = caller_for(who).request(method, path.format(**names), body)
    if who in STRANGERS:
        assert response.status_code == 401 and response.json()["error"]["code"] == "not_authenticated"
    else:
        assert response.status_code == expected[who], response.content
        if response.status_code == 403:
            assert response.json()["error"]["code"] == "permission_denied"
