"""remind_learner and extend_due_date: each rule passing and refused (refusals change nothing and send nothing)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from smoothlms.catalog.tests.factories import CourseFactory
from smoothlms.core.models import EnrollmentEvent, EventType
from smoothlms.core.testing import assert_locks_before_write, run_in_threads
from smoothlms.enrollment.errors import UserDisabled
from smoothlms.people.services import set_user_enabled
from smoothlms.people.tests.factories import UserFactory
from smoothlms.training.errors import (
    AssignmentNotOpen,
    DueDateInPast,
    DueDateNotLater,
    DueDateReasonRequired,
    DueDateTaken,
)
from smoothlms.training.models import AssignmentStatus, TrainingAssignment
from smoothlms.training.selectors import count_assignment_events
from smoothlms.training.services import assign_training, extend_due_date, remind_learner

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


@pytest.fixture
def actor(db):
    return UserFactory(email="hr@example.com")


@pytest.fixture
def overdue(db):
    """An open assignment of "Fire Safety" to asha, five days overdue."""
    user = UserFactory(email="asha@example.com", full_name="Asha Rao")
    return TrainingAssignment.objects.create(
        user=user, course=CourseFactory(name="fire", title="Fire Safety"), due_date=TODAY - dt.timedelta(days=5)
    )


def events(kind) -> int:
    return EnrollmentEvent.objects.filter(kind=kind).count()


# remind_learner --------------------------------------------------------------------------------


def test_remind_learner_emails_after_commit_and_audits(overdue, actor, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        remind_learner(assignment=overdue, actor=actor, source="desk")
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["asha@example.com"] and mail.subject.startswith("Reminder: Fire Safety was due on")
    assert "Hello Asha Rao" in mail.body and "http://testserver/lms/courses" in mail.body
    event = EnrollmentEvent.objects.get(kind=EventType.TRAINING_REMINDED)
    assert (event.actor, event.member, event.source) == (actor, overdue.user, "desk")
    assert event.after["assignment"] == overdue.pk and event.after["course"] == "fire"
    assert count_assignment_events(assignment=overdue) == 1


def test_a_reminder_of_an_assignment_not_yet_due_says_is_due(
    overdue, actor, mailoutbox, django_capture_on_commit_callbacks
):
    TrainingAssignment.objects.filter(pk=overdue.pk).update(due_date=TODAY + dt.timedelta(days=2))
    overdue.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        remind_learner(assignment=overdue, actor=actor)
    assert "Fire Safety is due on" in mailoutbox[0].subject


def test_remind_learner_refuses_a_completed_assignment(overdue, actor, mailoutbox, django_capture_on_commit_callbacks):
    TrainingAssignment.objects.filter(pk=overdue.pk).update(status=AssignmentStatus.COMPLETED)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(AssignmentNotOpen) as refused:
        remind_learner(assignment=overdue, actor=actor)
    assert refused.value.user_message() == (
        "The assignment of fire to asha@example.com is completed: only open assignments can be changed."
    )
    assert mailoutbox == [] and events(EventType.TRAINING_REMINDED) == 0


def test_remind_learner_refuses_a_disabled_user(overdue, actor, mailoutbox, django_capture_on_commit_callbacks):
    set_user_enabled(user=overdue.user, enabled=False, actor=None)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(UserDisabled):
        remind_learner(assignment=overdue, actor=actor)
    assert mailoutbox == [] and events(EventType.TRAINING_REMINDED) == 0


# extend_due_date -------------------------------------------------------------------------------


def test_extend_due_date_moves_it_and_audits_both_dates_and_the_reason(overdue, actor):
    new = TODAY + dt.timedelta(days=10)
    extended = extend_due_date(assignment=overdue, due_date=new, reason=" On leave ", actor=actor, source="desk")
    assert extended.due_date == new
    overdue.refresh_from_db()
    assert (overdue.due_date, overdue.status) == (new, AssignmentStatus.ASSIGNED)
    event = EnrollmentEvent.objects.get(kind=EventType.TRAINING_DUE_DATE_CHANGED)
    assert (event.actor, event.member, event.reason, event.source) == (actor, overdue.user, "On leave", "desk")
    assert event.before["due_date"] == (TODAY - dt.timedelta(days=5)).isoformat()
    assert event.after == {"assignment": overdue.pk, "course": "fire", "due_date": new.isoformat()}


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"reason": "  "}, DueDateReasonRequired),
        ({"due_date": TODAY - dt.timedelta(days=5)}, DueDateNotLater),  # the same day
        ({"due_date": TODAY - dt.timedelta(days=8)}, DueDateNotLater),  # earlier
        ({"due_date": TODAY - dt.timedelta(days=1)}, DueDateInPast),  # later, but still in the past
    ],
)
def test_extend_due_date_refusals_change_nothing(overdue, actor, change, error):
    arguments = {"due_date": TODAY + dt.timedelta(days=10), "reason": "On leave", **change}
    with pytest.raises(error):
        extend_due_date(assignment=overdue, actor=actor, **arguments)
    overdue.refresh_from_db()
    assert overdue.due_date == TODAY - dt.timedelta(days=5)
    assert events(EventType.TRAINING_DUE_DATE_CHANGED) == 0


def test_extend_due_date_refuses_a_cancelled_assignment(overdue, actor):
    TrainingAssignment.objects.filter(pk=overdue.pk).update(status=AssignmentStatus.CANCELLED)
    with pytest.raises(AssignmentNotOpen):
        extend_due_date(assignment=overdue, due_date=TODAY + dt.timedelta(days=3), reason="x", actor=actor)
    overdue.refresh_from_db()
    assert overdue.due_date == TODAY - dt.timedelta(days=5) and events(EventType.TRAINING_DUE_DATE_CHANGED) == 0


def test_extend_due_date_refuses_a_day_another_assignment_of_the_course_is_due(overdue, actor):
    later = TODAY + dt.timedelta(days=30)
    TrainingAssignment.objects.create(
        user=overdue.user, course=overdue.course, due_date=later, status=AssignmentStatus.COMPLETED
    )
    with pytest.raises(DueDateTaken) as refused:
        extend_due_date(assignment=overdue, due_date=later, reason="x", actor=actor)
    assert refused.value.code == "due_date_taken"
    overdue.refresh_from_db()
    assert overdue.due_date == TODAY - dt.timedelta(days=5) and events(EventType.TRAINING_DUE_DATE_CHANGED) == 0


def test_assignments_made_by_assign_training_have_no_history(actor):
    course, user = CourseFactory(), UserFactory()
    assign_training(user_ids=[user.pk], courses=[course], due_date=TODAY + dt.timedelta(days=3), actor=actor)
    assert count_assignment_events(assignment=TrainingAssignment.objects.get()) == 0


# Concurrency ----------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_extend_due_date_locks_the_assignment_before_writing(overdue, actor):
    with assert_locks_before_write("training_trainingassignment", write_table="core_enrollmentevent"):
        extend_due_date(assignment=overdue, due_date=TODAY + dt.timedelta(days=3), reason="leave", actor=actor)


@pytest.mark.django_db(transaction=True)
def test_two_extensions_at_once_never_move_a_due_date_back():
    user, course = UserFactory(), CourseFactory()
    assignment = TrainingAssignment.objects.create(user=user, course=course, due_date=TODAY - dt.timedelta(days=1))
    outcomes = []

    def attempt(days: int) -> None:
        try:
            extend_due_date(
                assignment=TrainingAssignment.objects.select_related("user", "course").get(pk=assignment.pk),
                due_date=TODAY + dt.timedelta(days=days),
                reason="leave",
                actor=None,
            )
            outcomes.append(days)
        except DueDateNotLater:
            outcomes.append("refused")
        finally:
            connection.close()

    run_in_threads(attempt, [5, 10])
    assignment.refresh_from_db()
    # Serialised by the row lock: +5 then +10 both apply, or +10 first and +5 is refused.
    assert assignment.due_date == TODAY + dt.timedelta(days=10)
    assert sorted(map(str, outcomes)) in (["10", "5"], ["10", "refused"])
    assert EnrollmentEvent.objects.filter(kind=EventType.TRAINING_DUE_DATE_CHANGED).count() == (
        2 if "refused" not in outcomes else 1
    )
