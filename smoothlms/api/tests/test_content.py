"""Course content and progress over the API (CONTRACT.md section 11)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from smoothlms.api.tests.conftest import PREFIX, error_of
from smoothlms.catalog.models import Lesson, LessonKind
from smoothlms.catalog.tests.factories import BatchFactory, CourseFactory
from smoothlms.enrollment.models import CourseEnrollment, EnrollmentStatus, Source
from smoothlms.enrollment.services import enroll
from smoothlms.learning import services
from smoothlms.learning.samples import scorm_package_files, scorm_package_upload, zip_bytes
from smoothlms.learning.tests.factories import CourseEnrollmentFactory, course_with_lessons
from smoothlms.people.roles import Role
from smoothlms.people.tests.factories import UserFactory
from smoothlms.training.models import AssignmentStatus, TrainingAssignment

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def creator(db):
    return UserFactory(roles=[Role.COURSE_CREATOR])


def upload(caller, path: str, data: bytes, name: str = "package.zip"):
    """A multipart upload (field `file`) with the caller's token."""
    return Client().post(PREFIX + path, {"file": _named(data, name)}, headers=caller.headers)


def _named(data: bytes, name: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type="application/zip")


# Authoring -------------------------------------------------------------------------------------


def test_a_course_creator_builds_an_outline(api, creator):
    course = CourseFactory(name="safety")
    caller = api(creator)
    chapter = caller.post("/courses/safety/chapters", {"title": "Fire"})
    assert chapter.status_code == 201
    assert chapter.json()["data"] == {"id": chapter.json()["data"]["id"], "title": "Fire", "position": 1}
    chapter_id = chapter.json()["data"]["id"]
    text = caller.post(
        "/courses/safety/lessons",
        {"chapter": chapter_id, "title": "Exits", "kind": "text", "body": "Know **two** ways out."},
    )
    assert text.status_code == 201
    assert text.json()["data"]["position"] == 1 and text.json()["data"]["kind"] == "text"
    video = caller.post(
        "/courses/safety/lessons",
        {"chapter": chapter_id, "title": "Drill", "kind": "video", "url": "https://example.com/drill.mp4"},
    )
    scorm = caller.post("/courses/safety/lessons", {"chapter": chapter_id, "title": "Quiz walk", "kind": "scorm"})
    assert (video.status_code, scorm.status_code) == (201, 201)
    package = upload(
        caller, f"/courses/safety/lessons/{scorm.json()['data']['id']}/package", zip_bytes(scorm_package_files())
    )
    assert package.status_code == 201, package.content
    assert (package.json()["data"]["scorm_version"], package.json()["data"]["scorm_launch"]) == (
        "1.2",
        "content/index.html",
    )
    outline = caller.get("/courses/safety/outline").json()["data"]
    assert outline["name"] == course.name and outline["progress"] is None
    assert [(c["title"], c["position"]) for c in outline["chapters"]] == [("Fire", 1)]
    assert [
        (lesson["title"], lesson["kind"], lesson["position"], lesson["status"])
        for lesson in outline["chapters"][0]["lessons"]
    ] == [("Exits", "text", 1, None), ("Drill", "video", 2, None), ("Quiz walk", "scorm", 3, None)]


def test_authoring_refusals(api, creator):
    CourseFactory(name="safety")
    student = UserFactory()
    assert error_of(api(student).post("/courses/safety/chapters", {"title": "x"}))[:2] == (403, "permission_denied")
    assert error_of(api(creator).post("/courses/nope/chapters", {"title": "x"})) == (
        404,
        "not_found",
        "No course named nope.",
    )
    response = api(creator).post("/courses/safety/lessons", {"chapter": 999, "title": "x", "kind": "text"})
    assert error_of(response) == (404, "not_found", "No chapter 999 in course safety.")
    chapter = api(creator).post("/courses/safety/chapters", {"title": "One"}).json()["data"]["id"]
    response = api(creator).post("/courses/safety/lessons", {"chapter": chapter, "title": "x", "kind": "video"})
    assert error_of(response)[:2] == (422, "validation_error")
    assert response.json()["error"]["params"]["fields"] == ["url"]
    response = api(creator).post("/courses/safety/lessons", {"chapter": chapter, "title": "x", "kind": "podcast"})
    assert response.json()["error"]["params"]["fields"] == ["kind"]
    assert not Lesson.objects.exists()


def test_a_hostile_package_is_refused_with_its_reason(api, creator):
    course, lessons = course_with_lessons(CourseFactory(name="safety"), per_chapter=1, kind=LessonKind.SCORM)
    caller = api(creator)
    response = upload(
        caller,
        f"/courses/safety/lessons/{lessons[0].pk}/package",
        zip_bytes({"../../evil.html": b"x", "imsmanifest.xml": b"<manifest/>"}),
    )
    assert error_of(response) == (
        422,
        "scorm_package_invalid",
        "This SCORM package cannot be used: ../../evil.html points outside the package (..).",
    )
    assert response.json()["error"]["params"] == {"reason": "../../evil.html points outside the package (..)."}
    missing = Client().post(PREFIX + f"/courses/safety/lessons/{lessons[0].pk}/package", {}, headers=caller.headers)
    assert error_of(missing)[:2] == (422, "validation_error")


# The learner -----------------------------------------------------------------------------------


def test_a_learner_completes_lessons_and_the_course(api):
    course, lessons = course_with_lessons(CourseFactory(name="safety"), per_chapter=3)
    member = CourseEnrollmentFactory(course=course).member
    TrainingAssignment.objects.create(user=member, course=course, due_date=timezone.localdate() + dt.timedelta(days=3))
    caller = api(member)
    first = caller.post(f"/me/lessons/{lessons[0].pk}/complete")
    assert first.status_code == 200
    assert first.json()["data"] == {
        "lesson": lessons[0].pk,
        "status": "completed",
        "progress": 33,
        "completed": False,
        "completed_at": None,
    }
    outline = caller.get("/courses/safety/outline").json()["data"]
    assert outline["progress"] == 33
    assert [lesson["status"] for lesson in outline["chapters"][0]["lessons"]] == [
        "completed",
        "not_started",
        "not_started",
    ]
    caller.post(f"/me/lessons/{lessons[1].pk}/complete")
    last = caller.post(f"/me/lessons/{lessons[2].pk}/complete").json()["data"]
    assert (last["progress"], last["completed"]) == (100, True)
    again = caller.post(f"/me/lessons/{lessons[2].pk}/complete").json()["data"]
    assert again == last
    mine = caller.get("/me/courses").json()
    assert mine["count"] == 1
    assert mine["data"][0]["course"] == "safety" and mine["data"][0]["progress"] == 100
    assert mine["data"][0]["completed_at"] == last["completed_at"]
    assert TrainingAssignment.objects.get(user=member).status == AssignmentStatus.COMPLETED


def test_lessons_refuse_a_member_without_course_access(api):
    course, lessons = course_with_lessons(CourseFactory(name="safety"), per_chapter=1)
    withdrawn = CourseEnrollmentFactory(course=course, status=EnrollmentStatus.CANCELLED).member
    for member in (UserFactory(), withdrawn):
        assert error_of(api(member).post(f"/me/lessons/{lessons[0].pk}/complete")) == (
            403,
            "not_enrolled_in_course",
            "You are not enrolled in this course.",
        )
    assert error_of(api(withdrawn).post("/me/lessons/99999/complete"))[:2] == (404, "not_found")


def test_without_course_access_the_lessons_own_refusals_come_first(api):
    """The lesson is read by the locking statement; without a locked row the refusals still come
    in their order: no such lesson, the wrong kind, invalid SCORM data, then no access."""
    course, lessons = course_with_lessons(CourseFactory(name="safety"), per_chapter=1)
    scorm = services.create_lesson(
        course=course, chapter=lessons[0].chapter, title="Walk", kind=LessonKind.SCORM, actor=None
    )
    caller = api(UserFactory())
    assert error_of(caller.post("/me/lessons/99999/scorm", {"cmi": {}}))[:2] == (404, "not_found")
    assert error_of(caller.post(f"/me/lessons/{scorm.pk}/complete"))[:2] == (409, "lesson_completes_by_itself")
    assert error_of(caller.post(f"/me/lessons/{lessons[0].pk}/scorm", {"cmi": {}}))[:2] == (409, "not_a_scorm_lesson")
    assert error_of(caller.post(f"/me/lessons/{scorm.pk}/scorm", {"cmi": {"not cmi": "x"}}))[:2] == (
        422,
        "validation_error",
    )
    assert error_of(caller.post(f"/me/lessons/{scorm.pk}/scorm", {"cmi": {}}))[:2] == (403, "not_enrolled_in_course")


def test_scorm_commits_save_and_complete(api):
    course, lessons = course_with_lessons(CourseFactory(name="safety"), per_chapter=2)
    scorm = services.create_lesson(
        course=course, chapter=lessons[0].chapter, title="Walk", kind=LessonKind.SCORM, actor=None
    )
    services.attach_scorm_package(lesson=scorm, upload=scorm_package_upload(), actor=None)
    member = CourseEnrollmentFactory(course=course).member
    caller = api(member)
    saved = caller.post(
        f"/me/lessons/{scorm.pk}/scorm",
        {"cmi": {"cmi.suspend_data": "visits=1", "cmi.core.lesson_status": "incomplete"}},
    )
    assert saved.status_code == 200 and saved.json()["data"]["status"] == "in_progress"
    done = caller.post(f"/me/lessons/{scorm.pk}/scorm", {"cmi": {"cmi.core.lesson_status": "passed"}}).json()["data"]
    assert (done["status"], done["progress"]) == ("completed", 33)
    assert error_of(caller.post(f"/me/lessons/{scorm.pk}/complete"))[:2] == (409, "lesson_completes_by_itself")
    bad = caller.post(f"/me/lessons/{scorm.pk}/scorm", {"cmi": {"not cmi": "x"}})
    assert error_of(bad)[:2] == (422, "validation_error") and bad.json()["error"]["params"]["fields"] == ["cmi"]
    assert error_of(caller.post(f"/me/lessons/{lessons[0].pk}/scorm", {"cmi": {}}))[:2] == (409, "not_a_scorm_lesson")


def test_my_courses_show_the_cohort_and_the_due_date(api):
    course = CourseFactory(name="safety", title="Safety")
    batch = BatchFactory(name="spring", courses=[course])
    member = UserFactory()
    enroll(batch=batch, member=member, actor=UserFactory(roles=[Role.MODERATOR]), source=Source.API, notify=False)
    due = timezone.localdate() + dt.timedelta(days=5)
    TrainingAssignment.objects.create(user=member, course=course, due_date=due)
    rows = api(member).get("/me/courses").json()["data"]
    assert rows == [
        {
            "course": "safety",
            "title": "Safety",
            "batch": "spring",
            "progress": 0,
            "completed_at": None,
            "due_date": due.isoformat(),
        }
    ]


def test_batch_progress_lists_every_member_and_course(api):
    courses = [CourseFactory(name="a-course"), CourseFactory(name="b-course")]
    course, lessons = course_with_lessons(courses[0], per_chapter=2)
    batch = BatchFactory(name="spring", courses=courses)
    boss = UserFactory(roles=[Role.MODERATOR])
    members = [UserFactory(email=f"m{i}@example.com") for i in range(3)]
    for member in members:
        enroll(batch=batch, member=member, actor=boss, source=Source.API, notify=False)
    services.mark_lesson_complete(member=members[1], lesson=lessons[0], actor=None)
    body = api(boss).get("/batches/spring/progress").json()
    assert body["count"] == 6
    assert [(row["member"], row["course"], row["progress"]) for row in body["data"]] == [
        ("m0@example.com", "a-course", 0),
        ("m0@example.com", "b-course", 0),
        ("m1@example.com", "a-course", 50),
        ("m1@example.com", "b-course", 0),
        ("m2@example.com", "a-course", 0),
        ("m2@example.com", "b-course", 0),
    ]
    page = api(boss).get("/batches/spring/progress", limit=2, offset=3).json()
    assert [(row["member"], row["course"]) for row in page["data"]] == [
        ("m1@example.com", "b-course"),
        ("m2@example.com", "a-course"),
    ]
    assert error_of(api(members[0]).get("/batches/spring/progress"))[:2] == (403, "permission_denied")
    assert CourseEnrollment.objects.filter(course__in=courses).count() == 6


# Queries per request ------------------------------------------------------------------------------


@pytest.mark.parametrize("lessons", [3, 12])
def test_a_completion_is_a_fixed_number_of_queries_whatever_the_lessons(api, lessons, django_assert_num_queries):
    """The token, the locked enrollment with the lesson and the course's lesson count, the member's
    row and completed lessons, the row written, the enrollment's progress; reaching 100% adds the
    course, the cohort and the completion's side effects (training assignments, certificates, audit)."""
    course, outline = course_with_lessons(per_chapter=lessons)
    caller = api(CourseEnrollmentFactory(course=course).member)
    for lesson in outline[:-2]:
        caller.post(f"/me/lessons/{lesson.pk}/complete")
    with django_assert_num_queries(STEP_QUERIES):
        assert caller.post(f"/me/lessons/{outline[-2].pk}/complete").status_code == 200
    with django_assert_num_queries(STEP_QUERIES + COMPLETION_QUERIES):
        assert caller.post(f"/me/lessons/{outline[-1].pk}/complete").json()["data"]["progress"] == 100


@pytest.mark.parametrize("lessons", [1, 12])
def test_a_scorm_commit_is_a_fixed_number_of_queries_whatever_the_lessons(api, lessons, django_assert_num_queries):
    """The token, the locked enrollment with the lesson, the member's row written by one UPDATE; the first
    commit reads the member's standing before inserting the row; a commit that completes the lesson
    reads it and writes the progress with the row's data and status (and completes the course)."""
    course, outline = course_with_lessons(per_chapter=lessons)
    scorm = services.create_lesson(
        course=course, chapter=outline[0].chapter, title="Walk", kind=LessonKind.SCORM, actor=None
    )
    services.attach_scorm_package(lesson=scorm, upload=scorm_package_upload(), actor=None)
    caller = api(CourseEnrollmentFactory(course=course).member)
    for lesson in outline:
        caller.post(f"/me/lessons/{lesson.pk}/complete")
    path = f"/me/lessons/{scorm.pk}/scorm"
    with django_assert_num_queries(SCORM_QUERIES + 2):
        assert caller.post(path, {"cmi": {"cmi.core.lesson_status": "incomplete"}}).status_code == 200
    with django_assert_num_queries(SCORM_QUERIES):
        assert caller.post(path, {"cmi": {"cmi.suspend_data": "page=2"}}).status_code == 200
    with django_assert_num_queries(SCORM_QUERIES + 2 + COMPLETION_QUERIES):
        done = caller.post(path, {"cmi": {"cmi.core.lesson_status": "completed"}}).json()["data"]
    assert (done["status"], done["progress"], done["completed"]) == ("completed", 100, True)


STEP_QUERIES = 7
SCORM_QUERIES = 5
COMPLETION_QUERIES = 6
