"""assign_training and `smoothlms assign_mandatory_training`."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from smoothlms.catalog.tests.factories import CourseFactory
from smoothlms.core.models import EnrollmentEvent, EventType
from smoothlms.people.selectors import list_active_employee_user_ids
from smoothlms.people.services import set_user_enabled
from smoothlms.people.tests.factories import EmployeeFactory, UserFactory
from smoothlms.training.errors import DueDateInPast, NoCourses
from smoothlms.training.models import AssignmentStatus, TrainingAssignment
from smoothlms.training.selectors import list_training_assignments
from smoothlms.training.services import assign_training

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def employee(department="Engineering", status="Active", enabled=True, **kwargs):
    user = UserFactory()
    if not enabled:
        set_user_enabled(user=user, enabled=False, actor=None)
    return EmployeeFactory(user=user, department=department, status=status, **kwargs)


def run(capsys, *args):
    out = io.StringIO()
    code = 0
    try:
        call_command("assign_mandatory_training", *args, stdout=out)
    except SystemExit as exc:
        code = exc.code
    return code, out.getvalue(), capsys.readouterr().err


def test_active_employees_are_those_active_with_an_enabled_user():
    kept = [employee(), employee(department="Sales")]
    employee(status="Left")
    employee(enabled=False)
    EmployeeFactory(user=None)
    assert list_active_employee_user_ids() == sorted(e.user_id for e in kept)
    assert list_active_employee_user_ids(department=" sales ") == [kept[1].user_id]


def test_assign_training_skips_open_assignments_and_is_idempotent():
    course = CourseFactory()
    users = [employee().user_id for _ in range(3)]
    due = TODAY + dt.timedelta(days=30)
    TrainingAssignment.objects.create(user_id=users[0], course=course, due_date=TODAY + dt.timedelta(days=3))
    result = assign_training(user_ids=users, courses=[course], due_date=due, actor=None, chunk_size=2)
    assert (result.assigned, result.skipped) == (2, 1)
    again = assign_training(user_ids=users, courses=[course], due_date=due, actor=None)
    assert (again.assigned, again.skipped) == (0, 3)
    assert TrainingAssignment.objects.count() == 3
    event = EnrollmentEvent.objects.filter(kind=EventType.TRAINING_ASSIGNED).latest("id")
    assert event.after == {"course": course.name, "due_date": due.isoformat(), "assigned": 1, "rule": ""}


def test_a_completed_assignment_does_not_block_recertification():
    course = CourseFactory()
    user = employee().user_id
    TrainingAssignment.objects.create(
        user_id=user, course=course, due_date=TODAY - dt.timedelta(days=300), status=AssignmentStatus.COMPLETED
    )
    result = assign_training(user_ids=[user], courses=[course], due_date=TODAY + dt.timedelta(days=30), actor=None)
    assert result.assigned == 1


def test_refusals_assign_nothing():
    course = CourseFactory()
    with pytest.raises(DueDateInPast) as past:
        assign_training(
            user_ids=[employee().user_id], courses=[course], due_date=TODAY - dt.timedelta(days=1), actor=None
        )
    assert past.value.user_message() == f"The due date {(TODAY - dt.timedelta(days=1)).isoformat()} is in the past."
    with pytest.raises(NoCourses):
        assign_training(user_ids=[1], courses=[], due_date=TODAY, actor=None)
    assert not TrainingAssignment.objects.exists()


def test_command_assigns_every_active_employee_once(capsys):
    courses = [CourseFactory(name="security"), CourseFactory(name="privacy")]
    staff = [employee() for _ in range(3)] + [employee(department="Sales")]
    employee(status="Left")
    code, out, err = run(capsys, "--course", "security", "--course", "privacy", "--due-in-days", "30")
    assert (code, out, err) == (0, "assigned=8 skipped=0\n", "")
    due = TODAY + dt.timedelta(days=30)
    assert set(TrainingAssignment.objects.values_list("user_id", "course__name", "due_date")) == {
        (e.user_id, c.name, due) for e in staff for c in courses
    }
    code, out, _ = run(capsys, "--course", "security", "--course", "privacy", "--due-in-days", "30")
    assert (code, out) == (0, "assigned=0 skipped=8\n")


def test_command_for_one_department_with_a_due_date(capsys):
    CourseFactory(name="security")
    sales = employee(department="Sales")
    employee(department="Engineering")
    due = (TODAY + dt.timedelta(days=10)).isoformat()
    code, out, _ = run(capsys, "--course", "security", "--due-date", due, "--department", "sales")
    assert (code, out) == (0, "assigned=1 skipped=0\n")
    assert TrainingAssignment.objects.get().user_id == sales.user_id


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--course", "nope", "--due-in-days", "3"], "error: not_found: No course named nope.\n"),
        (
            ["--course", "security", "--due-date", "31-12-2030"],
            "error: invalid_date: --due-date 31-12-2030 is not a date (use YYYY-MM-DD).\n",
        ),
        (
            ["--course", "security", "--due-date", "2001-01-01"],
            "error: due_date_in_past: The due date 2001-01-01 is in the past.\n",
        ),
    ],
)
def test_command_refusals(capsys, args, message):
    CourseFactory(name="security")
    employee()
    code, out, err = run(capsys, *args)
    assert (code, out, err) == (1, "", message)
    assert not TrainingAssignment.objects.exists()


def test_list_training_assignments_overdue(django_assert_num_queries):
    course = CourseFactory()
    user = employee().user
    late = TrainingAssignment.objects.create(user=user, course=course, due_date=TODAY - dt.timedelta(days=1))
    TrainingAssignment.objects.create(
        user=user, course=course, due_date=TODAY - dt.timedelta(days=9), status=AssignmentStatus.COMPLETED
    )
    TrainingAssignment.objects.create(user=user, course=course, due_date=TODAY + dt.timedelta(days=9))
    with django_assert_num_queries(1):
        rows = [(a.pk, a.user.email, a.course.name) for a in list_training_assignments(overdue=True)]
    assert rows == [(late.pk, user.email, course.name)]
    assert list_training_assignments(overdue=False).count() == 2
