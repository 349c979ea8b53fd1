"""`smoothlms demo` (CONTRACT.md section 3): the demo organisation, loaded once, carrying the
guide's paths: a learner's week and new hires joining next Monday."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from smoothlms.catalog.models import Batch, Lesson, LiveClass, LMSSettings
from smoothlms.demo.data import MONDAY_COHORT, NEW_HIRE_DEPARTMENT, next_monday
from smoothlms.enrollment.models import BatchEnrollment, CourseEnrollment
from smoothlms.learning.models import LessonProgress
from smoothlms.learning.selectors import list_my_courses
from smoothlms.people.models import Employee, User
from smoothlms.portal.selectors import list_upcoming_live_classes
from smoothlms.training.models import TrainingAssignment

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def counts() -> tuple[int, ...]:
    return tuple(
        model.objects.count()
        for model in (
            User,
            Employee,
            Batch,
            BatchEnrollment,
            CourseEnrollment,
            LiveClass,
            Lesson,
            LessonProgress,
            TrainingAssignment,
        )
    )


def test_demo_loads_every_cohort_state_once(capsys):
    call_command("demo")
    made = counts()
    assert Employee.objects.filter(status="Left").exists() and Employee.objects.filter(employment_type="Contract")
    full = Batch.objects.get(name="leading-teams-spring")
    assert full.seats_taken == full.seat_count
    assert Batch.objects.filter(published=False).exists() and Batch.objects.filter(paid_batch=True).exists()
    assert {lc.timezone for b in Batch.objects.all() for lc in b.live_classes.all()} >= {
        "Europe/Berlin",
        "Asia/Kolkata",
    }
    call_command("demo")
    call_command("demo", "--if-empty")
    assert counts() == made
    assert "already loaded" in capsys.readouterr().out


@pytest.mark.parametrize("email", ["asha@example.com", "ben@example.com"])
def test_a_demo_learner_has_a_week_to_look_at(email):
    call_command("demo")
    learner = User.objects.get(email=email)
    today = timezone.localdate()
    courses = {row.course.title: row for row in list_my_courses(member=learner)}
    assert {"Company Onboarding", "Security Basics", "Leading Teams"} <= set(courses)
    for title in ("Company Onboarding", "Security Basics"):  # part-way, not done
        assert 0 < courses[title].progress < 100 and courses[title].completed_at is None
    assert courses["Security Basics"].due_date == today + dt.timedelta(days=3)
    assert not courses["Security Basics"].is_overdue
    assert courses["Company Onboarding"].is_overdue
    upcoming = list_upcoming_live_classes(user=learner)
    assert len({live_class.timezone for live_class in upcoming}) >= 3
    assert upcoming[0].starts_at <= upcoming[-1].starts_at


def test_new_hires_join_next_monday_with_a_cohort_to_enroll_in():
    call_command("demo")
    today = timezone.localdate()
    monday = next_monday(today)
    assert monday.weekday() == 0 and 0 < (monday - today).days <= 7
    joining = Employee.objects.filter(date_of_joining=monday)
    assert joining.count() >= 5
    assert set(joining.values_list("department", flat=True)) == {NEW_HIRE_DEPARTMENT}
    assert all(e.user and not e.user.password_set for e in joining.select_related("user"))
    assert not BatchEnrollment.objects.filter(member__employees__in=joining).exists()
    cohort = Batch.objects.get(title=MONDAY_COHORT)
    assert cohort.start_date == monday and cohort.live_classes.count() == 3
    assert LMSSettings.load().hold_emails_until_password_set


def test_next_monday_is_a_week_on_from_a_monday():
    assert next_monday(dt.date(2026, 11, 30)) == dt.date(2026, 12, 7)  # a Monday
    assert next_monday(dt.date(2026, 12, 6)) == dt.date(2026, 12, 7)  # a Sunday
