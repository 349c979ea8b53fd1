"""Recertification: `recertify_days_before` days before a certificate expires the worker opens a
new training assignment due on the expiry date and emails the holder, once. A fake clock (`now`)
stands in for the days passing."""

from __future__ import annotations

import datetime as dt
import smtplib

import pytest
from django.db import connection
from django.utils import timezone

from smoothlms.catalog.models import LMSSettings
from smoothlms.core.models import EnrollmentEvent, EventType
from smoothlms.people.services import set_user_enabled
from smoothlms.people.tests.factories import UserFactory
from smoothlms.training import tasks
from smoothlms.training.models import (
    ASSIGNMENT_ONE_PER_DUE_DATE,
    CERTIFICATE_ONE_PER_CYCLE,
    RECERTIFICATION_RULE,
    AssignmentStatus,
    Certificate,
    TrainingAssignment,
)
from smoothlms.training.services import issue_certificate, record_course_completion
from smoothlms.training.tests.factories import certificate_course, complete

pytestmark = pytest.mark.django_db
ISSUED = dt.date(2026, 3, 15)
EXPIRES = dt.date(2027, 3, 15)


def at(day: dt.date, hour: int = 6) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def holder(course, **user):
    member = UserFactory(**user)
    complete(member, course)
    return member, issue_certificate(member=member, course=course, actor=None, on=ISSUED)


@pytest.fixture
def course():
    return certificate_course(title="Forklift Safety", validity_months=12)


def recertifications():
    return TrainingAssignment.objects.filter(assigned_by_rule=RECERTIFICATION_RULE)


def test_nothing_opens_before_the_window(course, mailoutbox, django_capture_on_commit_callbacks):
    holder(course)
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.recertify_expiring(now=at(EXPIRES - dt.timedelta(days=31))) == 0
    assert not recertifications().exists() and mailoutbox == []


def test_the_window_opens_an_assignment_due_on_expiry_and_emails_the_holder_once(
    course, mailoutbox, django_capture_on_commit_callbacks
):
    member, certificate = holder(course, email="ada@example.com", full_name="Ada Lovelace")
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.recertify_expiring(now=at(EXPIRES - dt.timedelta(days=30))) == 1
    assignment = recertifications().get()
    assert (assignment.user, assignment.course, assignment.due_date, assignment.status, assignment.renews) == (
        member,
        course,
        EXPIRES,
        AssignmentStatus.ASSIGNED,
        certificate,
    )
    assert assignment.notified_at is not None
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["ada@example.com"]
    assert "Forklift Safety" in mailoutbox[0].subject and "15 March 2027" in mailoutbox[0].body
    event = EnrollmentEvent.objects.get(kind=EventType.TRAINING_ASSIGNED)
    assert (event.after["rule"], event.after["assigned"]) == (RECERTIFICATION_RULE, 1)

    with django_capture_on_commit_callbacks(execute=True):  # the next days: nothing new, no second email
        for days in (29, 10, 0):
            assert tasks.recertify_expiring(now=at(EXPIRES - dt.timedelta(days=days))) == 0
    assert recertifications().count() == 1 and len(mailoutbox) == 1


def test_recertify_days_before_comes_from_lms_settings(course, django_capture_on_commit_callbacks):
    LMSSettings.objects.update_or_create(pk=1, defaults={"recertify_days_before": 7})
    holder(course)
    assert tasks.recertify_expiring(now=at(EXPIRES - dt.timedelta(days=8))) == 0
    assert tasks.recertify_expiring(now=at(EXPIRES - dt.timedelta(days=7))) == 1


def test_an_open_assignment_of_the_course_is_enough(course, mailoutbox):
    member, _ = holder(course)
    TrainingAssignment.objects.create(user=member, course=course, due_date=EXPIRES - dt.timedelta(days=3))
    assert tasks.recertify_expiring(now=at(EXPIRES - dt.timedelta(days=20))) == 0
    assert not recertifications().exists() and mailoutbox == []


def test_leavers_and_certificates_without_expiry_are_left_alone(course):
    leaver, _ = holder(course)
    set_user_enabled(user=leaver, enabled=False, actor=None)
    forever = certificate_course(validity_months=None)
    member = UserFactory()
    complete(member, forever)
    issue_certificate(member=member, course=forever, actor=None, on=ISSUED)
    assert tasks.recertify_expiring(now=at(EXPIRES)) == 0
    assert not recertifications().exists()


def test_only_the_latest_certificate_is_recertified(course):
    member, first = holder(course)
    complete(member, course)
    second = issue_certificate(member=member, course=course, actor=None, on=EXPIRES + dt.timedelta(days=1))
    assert second.cycle == 2
    assert tasks.recertify_expiring(now=at(EXPIRES + dt.timedelta(days=2))) == 0
    assert not recertifications().filter(renews=first).exists()


def test_completing_the_recertification_issues_a_new_certificate(course, django_capture_on_commit_callbacks):
    member, first = holder(course)
    with django_capture_on_commit_callbacks(execute=True):
        tasks.recertify_expiring(now=at(EXPIRES - dt.timedelta(days=30)))
    complete(member, course, at=at(EXPIRES - dt.timedelta(days=12)))
    result = record_course_completion(member=member, course=course, actor=None, on=EXPIRES - dt.timedelta(days=12))
    (renewed,) = result.certificates
    assert renewed != first and renewed.cycle == 2
    assert (renewed.issue_date, renewed.expiry_date) == (dt.date(2027, 3, 3), dt.date(2028, 3, 3))
    assert recertifications().get().status == AssignmentStatus.COMPLETED
    assert Certificate.objects.filter(member=member).count() == 2
    # Next year's window recertifies the new one.
    assert tasks.recertify_expiring(now=at(dt.date(2028, 2, 2))) == 1
    assert recertifications().filter(renews=renewed, due_date=dt.date(2028, 3, 3)).exists()


def test_a_refused_email_is_sent_again_on_the_next_run(
    course, mailoutbox, settings, django_capture_on_commit_callbacks
):
    holder(course, email="ada@example.com")
    settings.EMAIL_BACKEND = "smoothlms.training.tests.test_recertification.RefusingBackend"
    with django_capture_on_commit_callbacks(execute=True):
        tasks.recertify_expiring(now=at(EXPIRES - dt.timedelta(days=30)))
    assert recertifications().get().notified_at is None
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert tasks.send_recertification_notices.call() == 1
    assert tasks.send_recertification_notices.call() == 0
    assert len(mailoutbox) == 1


class RefusingBackend:
    """An SMTP server that refuses every message (the outside world, faked)."""

    def __init__(self, *args, **kwargs):
        pass

    def open(self):
        return True

    def close(self):
        pass

    def send_messages(self, messages):
        raise smtplib.SMTPRecipientsRefused({"ada@example.com": (550, b"mailbox unavailable")})


def test_the_scan_is_a_constant_number_of_queries(course, django_assert_max_num_queries):
    for _ in range(3):
        holder(course)
    with django_assert_max_num_queries(8) as few:  # the scan, then the notices (delivered at once here)
        assert tasks.recertify_expiring(now=at(EXPIRES - dt.timedelta(days=30))) == 3
    for _ in range(30):
        holder(course)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert tasks.recertify_expiring(now=at(EXPIRES - dt.timedelta(days=30))) == 30


def test_the_indexes_the_scan_names_exist():
    """The scan names the member's constraint indexes on MariaDB (reminders._recertification_sql):
    a renamed constraint would make every scan fail there, so the names are checked here."""
    named = ((TrainingAssignment, ASSIGNMENT_ONE_PER_DUE_DATE), (Certificate, CERTIFICATE_ONE_PER_CYCLE))
    with connection.cursor() as cursor:
        for model, name in named:
            constraints = connection.introspection.get_constraints(cursor, model._meta.db_table)
            assert constraints[name]["unique"], name
