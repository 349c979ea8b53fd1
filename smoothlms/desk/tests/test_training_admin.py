"""Training assignments in the desk are made through training.services.assign_training."""

import datetime as dt

import pytest
from django.utils import timezone

from smoothlms.catalog.tests.factories import CourseFactory
from smoothlms.core.models import EnrollmentEvent, EventType
from smoothlms.people.tests.factories import UserFactory
from smoothlms.training.models import TrainingAssignment

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


@pytest.fixture
def course(db):
    return CourseFactory(title="Fire Safety")


def test_adding_an_assignment_goes_through_assign_training(mod_client, mod, course):
    learner = UserFactory(email="asha@example.com")
    due = TODAY + dt.timedelta(days=14)
    response = mod_client.post("/app/training/trainingassignment/add/",
                               {"user": learner.pk, "course": course.pk, "due_date": due.isoformat()})
    assert response.status_code == 302, response.content.decode()[:2000]
    assignment = TrainingAssignment.objects.get()
    assert (assignment.user, assignment.course, assignment.due_date, assignment.assigned_by) == (
        learner, course, due, mod)
    event = EnrollmentEvent.objects.get(kind=EventType.TRAINING_ASSIGNED)
    assert event.actor == mod and event.after["course"] == course.name


def test_a_second_open_assignment_of_the_course_is_refused_on_the_form(mod_client, course):
    learner = UserFactory(email="asha@example.com")
    TrainingAssignment.objects.create(user=learner, course=course, due_date=TODAY + dt.timedelta(days=3))
    response = mod_client.post("/app/training/trainingassignment/add/", {
        "user": learner.pk, "course": course.pk, "due_date": (TODAY + dt.timedelta(days=30)).isoformat()})
    assert response.status_code == 200
    assert "asha@example.com already has an open assignment of Fire Safety" in response.content.decode()
    assert TrainingAssignment.objects.count() == 1
    assert not EnrollmentEvent.objects.filter(kind=EventType.TRAINING_ASSIGNED).exists()


def test_a_past_due_date_is_refused_with_the_services_message(mod_client, course):
    learner = UserFactory()
    past = TODAY - dt.timedelta(days=1)
    response = mod_client.post("/app/training/trainingassignment/add/",
                               {"user": learner.pk, "course": course.pk, "due_date": past.isoformat()})
    assert response.status_code == 200
    assert f"The due date {past.isoformat()} is in the past." in response.content.decode()
    assert not TrainingAssignment.objects.exists()


def test_an_assignment_is_not_edited_on_its_form(mod_client, course):
    assignment = TrainingAssignment.objects.create(user=UserFactory(), course=course,
                                                   due_date=TODAY + dt.timedelta(days=3))
    mod_client.post(f"/app/training/trainingassignment/{assignment.pk}/change/",
                    {"due_date": (TODAY + dt.timedelta(days=90)).isoformat(), "status": "completed"})
    assignment.refresh_from_db()
    assert (assignment.due_date, assignment.status) == (TODAY + dt.timedelta(days=3), "assigned")
