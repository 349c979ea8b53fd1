"""The caller's own cohorts, courses and live classes."""

import datetime as dt

import pytest

from smoothlms.catalog.tests.factories import BatchFactory, CourseFactory, LiveClassFactory
from smoothlms.enrollment.models import CourseEnrollment
from smoothlms.enrollment.services import cancel_enrollment, enroll
from smoothlms.people.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_my_enrollments_list_cohorts_with_courses_and_progress(api, student, batch, courses):
    enroll(batch=batch, member=student, actor=student, source="portal")
    CourseEnrollment.objects.filter(member=student, course=courses[0]).update(progress=40)
    other = BatchFactory()
    enroll(batch=other, member=UserFactory(), actor=None, source="desk")  # someone else's
    body = api(student).get("/me/enrollments").json()
    assert body["count"] == 1
    item = body["data"][0]
    assert (item["batch"], item["batch_title"], item["member"], item["status"]) == (
        batch.name,
        batch.title,
        student.email,
        "active",
    )
    assert item["timezone"] == "Europe/Berlin" and item["starts_at"].endswith(("+01:00", "+02:00"))
    assert item["courses"] == [
        {"name": courses[0].name, "title": courses[0].title, "progress": 40.0},
        {"name": courses[1].name, "title": courses[1].title, "progress": 0.0},
    ]


def test_my_enrollments_status_filter(api, student, batch):
    enroll(batch=batch, member=student, actor=student, source="portal")
    cancel_enrollment(batch=batch, member=student, actor=None)
    caller = api(student)
    assert caller.get("/me/enrollments").json()["count"] == 0
    assert caller.get("/me/enrollments", status="cancelled").json()["data"][0]["status"] == "cancelled"
    assert caller.get("/me/enrollments", status="all").json()["count"] == 1


def test_my_enrollments_use_a_fixed_number_of_queries(api, student, django_assert_num_queries):
    for _ in range(3):
        enroll(
            batch=BatchFactory(courses=[CourseFactory(), CourseFactory()]),
            member=student,
            actor=student,
            source="portal",
        )
    caller = api(student)
    # auth: user by key; progress; count; page; courses of the page
    with django_assert_num_queries(5):
        assert len(caller.get("/me/enrollments").json()["data"]) == 3


def test_timetable_lists_live_classes_of_active_cohorts_in_time_order(api, student):
    berlin = BatchFactory(timezone="Europe/Berlin")
    kolkata = BatchFactory(timezone="Asia/Kolkata")
    day = berlin.start_date
    late_local_early_utc = LiveClassFactory(batch=kolkata, date=day, time=dt.time(12, 0), duration=60)  # 06:30 UTC
    early_local_late_utc = LiveClassFactory(batch=berlin, date=day, time=dt.time(10, 0), duration=90)
    dropped = BatchFactory()
    LiveClassFactory(batch=dropped)
    for batch in (berlin, kolkata, dropped):
        enroll(batch=batch, member=student, actor=student, source="portal")
    cancel_enrollment(batch=dropped, member=student, actor=None)
    LiveClassFactory(batch=BatchFactory())  # not the student's
    body = api(student).get("/me/timetable").json()
    assert body["count"] == 2
    first, second = body["data"]
    assert (first["title"], second["title"]) == (late_local_early_utc.title, early_local_late_utc.title)
    assert first["starts_at"] == f"{day.isoformat()}T12:00:00+05:30"
    assert first["ends_at"] == f"{day.isoformat()}T13:00:00+05:30"
    assert (first["timezone"], first["batch"], first["duration"]) == ("Asia/Kolkata", kolkata.name, 60)


def test_timetable_is_empty_without_enrollments(api, student):
    LiveClassFactory()
    assert api(student).get("/me/timetable").json() == {"data": [], "count": 0}
