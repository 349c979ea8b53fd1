"""Overdue reminders (at most one a week per assignment) and the managers' weekly digest, on a fake
clock."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from smoothlms.catalog.tests.factories import CourseFactory
from smoothlms.core.models import EnrollmentEvent, EventType
from smoothlms.people.models import EmployeeStatus
from smoothlms.people.services import set_user_enabled
from smoothlms.people.tests.factories import EmployeeFactory, UserFactory
from smoothlms.training import tasks
from smoothlms.training.models import AssignmentStatus, ManagerDigest, TrainingAssignment
from smoothlms.training.reminders import list_manager_digests, week_of
from smoothlms.training.services import issue_certificate
from smoothlms.training.tests.factories import certificate_course, complete

pytestmark = pytest.mark.django_db
DUE = dt.date(2026, 6, 1)  # a Monday


def at(day: dt.date, hour: int = 6) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def assign(user, course=None, *, due=DUE, **kwargs) -> TrainingAssignment:
    return TrainingAssignment.objects.create(user=user, course=course or CourseFactory(), due_date=due, **kwargs)


def test_an_overdue_assignment_is_reminded_at_most_once_a_week(mailoutbox):
    learner = UserFactory(email="ada@example.com", full_name="Ada Lovelace")
    assignment = assign(learner, CourseFactory(title="Data Protection"))
    assert tasks.remind_overdue_assignments(now=at(DUE)) == 0  # due today: not overdue yet
    assert tasks.remind_overdue_assignments(now=at(DUE + dt.timedelta(days=1))) == 1
    assert "Data Protection" in mailoutbox[0].subject and mailoutbox[0].to == ["ada@example.com"]
    assert "1 day ago" in mailoutbox[0].body
    for days in range(2, 8):  # the next six days: nothing
        assert tasks.remind_overdue_assignments(now=at(DUE + dt.timedelta(days=days))) == 0
    assert tasks.remind_overdue_assignments(now=at(DUE + dt.timedelta(days=8))) == 1
    assert len(mailoutbox) == 2
    assignment.refresh_from_db()
    assert assignment.last_reminded_at == at(DUE + dt.timedelta(days=8))
    assert EnrollmentEvent.objects.filter(kind=EventType.TRAINING_REMINDED).count() == 2


def test_one_email_lists_all_of_a_learners_overdue_assignments(mailoutbox):
    learner = UserFactory()
    assign(learner, CourseFactory(title="Fire Safety"))
    assign(learner, CourseFactory(title="First Aid"), due=DUE - dt.timedelta(days=3))
    assert tasks.remind_overdue_assignments(now=at(DUE + dt.timedelta(days=2))) == 1
    (message,) = mailoutbox
    assert message.subject == "Overdue training: 2 courses"
    assert message.body.index("First Aid") < message.body.index("Fire Safety")  # most overdue first


def test_completed_cancelled_and_leavers_assignments_are_not_reminded(mailoutbox):
    assign(UserFactory(), status=AssignmentStatus.COMPLETED, completed_at=at(DUE))
    assign(UserFactory(), status=AssignmentStatus.CANCELLED)
    leaver = UserFactory()
    assign(leaver)
    set_user_enabled(user=leaver, enabled=False, actor=None)
    assert tasks.remind_overdue_assignments(now=at(DUE + dt.timedelta(days=10))) == 0
    assert mailoutbox == []
    assert not TrainingAssignment.objects.filter(last_reminded_at__isnull=False).exists()


# Managers' digest ----------------------------------------------------------------------------------


@pytest.fixture
def team():
    manager = EmployeeFactory(
        employee="HR-MGR-1", employee_name="Maya Manager", user=UserFactory(email="maya@example.com")
    )
    ada = EmployeeFactory(employee="HR-1", employee_name="Ada Lovelace", reports_to="HR-MGR-1", user=UserFactory())
    alan = EmployeeFactory(employee="HR-2", employee_name="Alan Turing", reports_to="HR-MGR-1", user=UserFactory())
    grace = EmployeeFactory(
        employee="HR-3", employee_name="Grace Hopper", reports_to="HR-OTHER", company_email="", user=UserFactory()
    )
    left = EmployeeFactory(
        employee="HR-4", employee_name="Leo Left", reports_to="HR-MGR-1", status=EmployeeStatus.LEFT, user=UserFactory()
    )
    return manager, ada, alan, grace, left


def test_the_digest_lists_direct_reports_overdue_and_soon_expiring_items(team, mailoutbox):
    manager, ada, alan, grace, left = team
    assign(ada.user, CourseFactory(title="Data Protection"), due=DUE - dt.timedelta(days=5))
    assign(alan.user, CourseFactory(title="Not Yet Due"), due=DUE + dt.timedelta(days=5))
    assign(left.user, CourseFactory(title="Leaver Course"), due=DUE - dt.timedelta(days=5))
    assign(grace.user, CourseFactory(title="Other Team"), due=DUE - dt.timedelta(days=5))
    forklift = certificate_course(title="Forklift", validity_months=12)
    complete(alan.user, forklift)
    issue_certificate(member=alan.user, course=forklift, actor=None, on=DUE - dt.timedelta(days=355))
    late = certificate_course(title="Far Away", validity_months=24)
    complete(ada.user, late)
    issue_certificate(member=ada.user, course=late, actor=None, on=DUE)

    assert tasks.send_manager_digests(now=at(DUE)) == 1
    (message,) = mailoutbox
    assert message.to == ["maya@example.com"]
    assert message.subject == "Your team's training: 1 overdue, 1 expiring soon"
    assert "Ada Lovelace: Data Protection, due 27 May 2026 (overdue)" in message.body
    assert "Alan Turing: Forklift certificate expires 11 June 2026" in message.body
    for absent in ("Not Yet Due", "Leaver Course", "Other Team", "Far Away", "Grace"):
        assert absent not in message.body
    assert ManagerDigest.objects.get().week == DUE


def test_one_digest_per_manager_per_week(team, mailoutbox):
    _, ada, *_ = team
    assign(ada.user, due=DUE - dt.timedelta(days=5))
    assert tasks.send_manager_digests(now=at(DUE)) == 1
    for days in range(1, 7):  # the rest of the week
        assert tasks.send_manager_digests(now=at(DUE + dt.timedelta(days=days))) == 0
    assert tasks.send_manager_digests(now=at(DUE + dt.timedelta(days=7))) == 1
    assert len(mailoutbox) == 2
    assert week_of(DUE + dt.timedelta(days=6)) == DUE


def test_managers_with_nothing_to_report_get_nothing(team, mailoutbox):
    _, ada, *_ = team
    assign(ada.user, due=DUE + dt.timedelta(days=5))
    assert tasks.send_manager_digests(now=at(DUE)) == 0
    assert mailoutbox == [] and not ManagerDigest.objects.exists()


def test_digest_reads_are_two_queries_whatever_the_team_size(team, django_assert_num_queries):
    manager, ada, alan, *_ = team
    for employee in (ada, alan):
        assign(employee.user, due=DUE - dt.timedelta(days=5))
    with django_assert_num_queries(2):
        digests = list_manager_digests(today=DUE, expiring_days=30)
    assert [len(d.items) for d in digests.values()] == [2]


def test_a_rehire_is_reported_to_the_manager_of_their_active_record(team, mailoutbox):
    returning = UserFactory()
    EmployeeFactory(employee="HR-OLD-9", employee_name="Rita Rehire", status=EmployeeStatus.LEFT, user=returning)
    EmployeeFactory(employee="HR-9", employee_name="Rita Rehire", reports_to="HR-MGR-1", user=returning)
    assign(returning, CourseFactory(title="Induction"), due=DUE - dt.timedelta(days=1))
    assert tasks.send_manager_digests(now=at(DUE)) == 1
    assert "Rita Rehire: Induction" in mailoutbox[0].body
