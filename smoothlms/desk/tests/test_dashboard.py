"""/desk/learning: figures aggregated in SQL, a fixed number of queries, drawn as server-side SVG."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from smoothlms.catalog.tests.factories import BatchFactory, CourseFactory
from smoothlms.core.models import EnrollmentEvent
from smoothlms.enrollment.models import BatchEnrollment, EmailStatus
from smoothlms.enrollment.selectors import (
    count_batch_totals,
    count_enrollments_per_day,
    count_roster,
    list_dashboard_batches,
)
from smoothlms.enrollment.services import bulk_enroll, cancel_enrollment, enroll
from smoothlms.notifications.selectors import get_email_queue_health
from smoothlms.people.tests.factories import UserFactory
from smoothlms.training.models import AssignmentStatus, TrainingAssignment
from smoothlms.training.selectors import list_overdue_assignments

pytestmark = pytest.mark.django_db


def test_dashboard_shows_cohorts_seats_days_to_start_emails_and_overdue(mod_client, cohort, learners):
    bulk_enroll(batch=cohort, members=[u.email for u in learners[:2]], actor=None, source="desk")
    BatchEnrollment.objects.filter(member=learners[0]).update(confirmation_email_status=EmailStatus.FAILED)
    BatchFactory(title="No Limit", seat_count=None, allow_self_enrollment=False)
    course = CourseFactory()
    TrainingAssignment.objects.create(
        user=learners[0], course=course, due_date=timezone.localdate() - dt.timedelta(days=3)
    )
    response = mod_client.get("/desk/learning")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<svg" in html and "New Hires" in html and "2 / 3" in html and "0 / unlimited" in html
    # Days to start count in the cohort's own zone (Berlin is a day ahead of UTC late in the evening).
    today_there = timezone.now().astimezone(ZoneInfo(cohort.timezone)).date()
    assert f"in {(cohort.start_date - today_there).days} days" in html and "Europe/Berlin" in html
    assert (response.context["emails"].pending, response.context["emails"].failed) == (1, 1)
    assert response.context["overdue_count"] == 1 and learners[0].email in html
    assert response.context["totals"]["active_enrollments"] == 2
    assert response.context["day_chart"].total == 2
    assert "cdn" not in html.lower() and '<script src="http' not in html


def test_dashboard_query_count_does_not_grow_with_cohorts_or_enrollments(mod_client, learners):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert mod_client.get("/desk/learning").status_code == 200
        return len(captured)

    BatchFactory()
    few = queries()
    students = [UserFactory() for _ in range(5)]
    for _ in range(30):
        batch = BatchFactory(seat_count=None)
        bulk_enroll(batch=batch, members=[u.email for u in students], actor=None, source="desk")
    for student in students:
        TrainingAssignment.objects.create(user=student, course=CourseFactory(), due_date=dt.date(2020, 1, 1))
    assert queries() == few
    assert mod_client.get("/desk/learning?page=2&show=all").status_code == 200


def test_enrollments_per_day_count_in_the_given_zone(cohort, learners):
    zone = ZoneInfo("Asia/Kolkata")
    now = dt.datetime(2026, 3, 10, 12, 0, tzinfo=zone)
    enroll(batch=cohort, member=learners[0], actor=None, source="desk")
    enroll(batch=cohort, member=learners[1], actor=None, source="desk")
    cancel_enrollment(batch=cohort, member=learners[1], actor=None)
    enroll(batch=cohort, member=learners[1], actor=None, source="desk")  # reactivated: counts again
    events = EnrollmentEvent.objects.filter(kind__in=["enrolled", "reactivated"]).order_by("id")
    # 23:50 in Kolkata on 9 March is 18:20 UTC: it belongs to the 9th there.
    stamps = [
        dt.datetime(2026, 3, 9, 23, 50, tzinfo=zone),
        dt.datetime(2026, 3, 10, 0, 10, tzinfo=zone),
        dt.datetime(2026, 1, 1, tzinfo=zone),
    ]
    for event, stamp in zip(events, stamps, strict=True):
        EnrollmentEvent.objects.filter(pk=event.pk).update(created_at=stamp)
    days = count_enrollments_per_day(days=30, zone=zone, now=now)
    assert len(days) == 30 and days[-1] == (dt.date(2026, 3, 10), 1) and days[-2] == (dt.date(2026, 3, 9), 1)
    assert days[0][0] == dt.date(2026, 2, 9) and sum(count for _day, count in days) == 2


def test_email_and_total_counts(cohort, learners):
    bulk_enroll(batch=cohort, members=[u.email for u in learners[:3]], actor=None, source="desk", notify=False)
    BatchEnrollment.objects.filter(member=learners[0]).update(confirmation_email_status=EmailStatus.PENDING)
    BatchEnrollment.objects.filter(member=learners[1]).update(confirmation_email_status=EmailStatus.FAILED)
    health = get_email_queue_health()
    assert (health.pending, health.failed) == (1, 1) and health.oldest_pending_at is not None
    BatchFactory(published=False)
    assert count_batch_totals() == {
        "cohorts": 2,
        "published_cohorts": 1,
        "self_enrollment_open": 1,
        "active_enrollments": 3,
    }
    cancel_enrollment(batch=cohort, member=learners[2], actor=None)
    assert count_roster(batch=cohort) == {"active": 2, "cancelled": 1, "waitlisted": 0}


def test_dashboard_cohorts_leave_out_ended_ones_unless_asked(cohort):
    ended = BatchFactory(start_date=dt.date(2020, 1, 1), end_date=dt.date(2020, 1, 2))
    today = timezone.localdate()
    assert list(list_dashboard_batches(today=today)) == [cohort]
    assert list(list_dashboard_batches(today=today, include_ended=True)) == [ended, cohort]


def test_overdue_assignments_are_open_ones_past_due(learners, django_assert_num_queries):
    course = CourseFactory()
    today = timezone.localdate()
    late = TrainingAssignment.objects.create(user=learners[0], course=course, due_date=today - dt.timedelta(days=1))
    TrainingAssignment.objects.create(user=learners[1], course=course, due_date=today)
    TrainingAssignment.objects.create(
        user=learners[2], course=course, due_date=today - dt.timedelta(days=9), status=AssignmentStatus.COMPLETED
    )
    with django_assert_num_queries(1):
        rows = [(a.user.email, a.course.title) for a in list_overdue_assignments(today=today)]
    assert rows == [(late.user.email, course.title)]


def test_list_dashboard_batches_is_one_query(cohort, django_assert_num_queries):
    BatchFactory()
    with django_assert_num_queries(1):
        assert sorted(b.seats_left_value for b in list_dashboard_batches(today=timezone.localdate())) == [3, 10]


def test_charts_use_round_grid_steps_and_scale_bars():
    from smoothlms.desk.charts import day_chart, seat_chart

    days = [(dt.date(2026, 3, 1) + dt.timedelta(days=i), count) for i, count in enumerate([0, 7, 3])]
    chart = day_chart(days)
    assert [value for _y, value in chart.ticks] == [0, 2, 4, 6, 8] and chart.total == 10
    assert chart.columns[0].height == 0 and chart.columns[1].height > chart.columns[2].height > 0
    assert [value for _y, value in day_chart([(dt.date(2026, 3, 1), 61)]).ticks] == [0, 20, 40, 60, 80]
    bars = seat_chart(
        [
            {"title": "A", "href": "#", "used": 3, "total": 3},
            {"title": "B", "href": "#", "used": 1, "total": 10},
            {"title": "C" * 50, "href": "#", "used": 4, "total": None},
        ]
    ).bars
    assert [b.tone for b in bars] == ["full", "ok", "open"] and bars[2].text == "4 / unlimited"
    assert bars[0].fill_width > bars[1].fill_width and bars[2].label.endswith("…")


def test_dashboard_says_when_the_hr_sync_is_failing(mod_client, settings):
    from smoothlms.hr.models import HRSyncRun

    settings.HRMS_URL = "http://127.0.0.1:9"
    HRSyncRun.objects.create(
        status=HRSyncRun.Status.FAILED, error="HRMS answered 502 Bad Gateway", finished_at=timezone.now()
    )
    html = mod_client.get("/desk/learning").content.decode()
    assert "HR sync failing (1 run(s) in a row): HRMS answered 502 Bad Gateway" in html
    assert "the LMS keeps serving" in html
