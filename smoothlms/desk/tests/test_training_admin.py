"""Training assignments in the desk: made through assign_training with the user picked by email,
reminded and extended through the training services; evidence is never deleted."""

import datetime as dt

import pytest
from django.utils import timezone

from smoothlms.assessments.models import Quiz, QuizSubmission
from smoothlms.catalog.models import Course
from smoothlms.catalog.tests.factories import BatchFactory, CourseFactory
from smoothlms.core.models import EnrollmentEvent, EventType
from smoothlms.desk.tests.conftest import messages_of
from smoothlms.enrollment.services import enroll
from smoothlms.people.roles import Role
from smoothlms.people.tests.factories import UserFactory
from smoothlms.training.models import AssignmentStatus, Certificate, TrainingAssignment
from smoothlms.training.services import extend_due_date

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


@pytest.fixture
def course(db):
    return CourseFactory(title="Fire Safety")


def test_adding_an_assignment_goes_through_assign_training(mod_client, mod, course):
    learner = UserFactory(email="asha@example.com")
    due = TODAY + dt.timedelta(days=14)
    response = mod_client.post(
        "/app/training/trainingassignment/add/", {"user": learner.pk, "course": course.pk, "due_date": due.isoformat()}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assignment = TrainingAssignment.objects.get()
    assert (assignment.user, assignment.course, assignment.due_date, assignment.assigned_by) == (
        learner,
        course,
        due,
        mod,
    )
    event = EnrollmentEvent.objects.get(kind=EventType.TRAINING_ASSIGNED)
    assert event.actor == mod and event.after["course"] == course.name


def test_a_second_open_assignment_of_the_course_is_refused_on_the_form(mod_client, course):
    learner = UserFactory(email="asha@example.com")
    TrainingAssignment.objects.create(user=learner, course=course, due_date=TODAY + dt.timedelta(days=3))
    response = mod_client.post(
        "/app/training/trainingassignment/add/",
        {"user": learner.pk, "course": course.pk, "due_date": (TODAY + dt.timedelta(days=30)).isoformat()},
    )
    assert response.status_code == 200
    assert "asha@example.com already has an open assignment of Fire Safety" in response.content.decode()
    assert TrainingAssignment.objects.count() == 1
    assert not EnrollmentEvent.objects.filter(kind=EventType.TRAINING_ASSIGNED).exists()


def test_a_past_due_date_is_refused_with_the_services_message(mod_client, course):
    learner = UserFactory()
    past = TODAY - dt.timedelta(days=1)
    response = mod_client.post(
        "/app/training/trainingassignment/add/", {"user": learner.pk, "course": course.pk, "due_date": past.isoformat()}
    )
    assert response.status_code == 200
    assert f"The due date {past.isoformat()} is in the past." in response.content.decode()
    assert not TrainingAssignment.objects.exists()


def test_an_assignment_is_not_edited_on_its_form(mod_client, course):
    assignment = TrainingAssignment.objects.create(
        user=UserFactory(), course=course, due_date=TODAY + dt.timedelta(days=3)
    )
    mod_client.post(
        f"/app/training/trainingassignment/{assignment.pk}/change/",
        {"due_date": (TODAY + dt.timedelta(days=90)).isoformat(), "status": "completed"},
    )
    assignment.refresh_from_db()
    assert (assignment.due_date, assignment.status) == (TODAY + dt.timedelta(days=3), "assigned")


# Picking the user by email ---------------------------------------------------------------------


def test_the_add_form_picks_the_user_by_email_with_autocomplete(client, course):
    client.force_login(UserFactory(email="hr@example.com", roles=[Role.HR_MANAGER]))
    html = client.get("/app/lms-training-assignment/new").content.decode()
    assert 'name="user"' in html and "admin-autocomplete" in html and 'data-ajax--url="/app/autocomplete/"' in html
    UserFactory(email="asha.rao@example.com", full_name="Asha Rao")
    UserFactory(email="ben@example.com", full_name="Ben")
    found = client.get(
        "/app/autocomplete/",
        {"term": "asha", "app_label": "training", "model_name": "trainingassignment", "field_name": "user"},
    ).json()
    assert [item["text"] for item in found["results"]] == ["asha.rao@example.com"]
    by_name = client.get(
        "/app/autocomplete/",
        {"term": "Ben", "app_label": "training", "model_name": "trainingassignment", "field_name": "user"},
    ).json()
    assert [item["text"] for item in by_name["results"]] == ["ben@example.com"]


# Send reminder ---------------------------------------------------------------------------------


@pytest.fixture
def late(course):
    return TrainingAssignment.objects.create(
        user=UserFactory(email="late@example.com"), course=course, due_date=TODAY - dt.timedelta(days=4)
    )


def act(client, action: str, assignments, *, path="/app/lms-training-assignment?overdue=yes", **data):
    return client.post(path, {"action": action, "_selected_action": [a.pk for a in assignments], **data}, follow=True)


def test_send_reminder_emails_each_selected_learner(
    mod_client, mod, late, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = act(mod_client, "send_reminders", [late])
    assert [m.to for m in mailoutbox] == [["late@example.com"]]
    assert "Reminder emailed for 1 assignment." in messages_of(response)
    event = EnrollmentEvent.objects.get(kind=EventType.TRAINING_REMINDED)
    assert event.actor == mod and event.source == "desk"


def test_send_reminder_refuses_a_completed_assignment_and_sends_nothing(
    mod_client, late, mailoutbox, django_capture_on_commit_callbacks
):
    TrainingAssignment.objects.filter(pk=late.pk).update(status=AssignmentStatus.COMPLETED)
    with django_capture_on_commit_callbacks(execute=True):
        response = act(mod_client, "send_reminders", [late], path="/app/lms-training-assignment")
    assert mailoutbox == []
    assert (
        "late@example.com: The assignment of " + late.course.name + " to late@example.com is completed: only "
        "open assignments can be changed."
    ) in messages_of(response)
    assert not EnrollmentEvent.objects.filter(kind=EventType.TRAINING_REMINDED).exists()


def test_roles_without_the_training_list_cannot_send_reminders(
    client, late, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(UserFactory(email="reader@example.com", roles=[Role.BATCH_EVALUATOR]))
    with django_capture_on_commit_callbacks(execute=True):
        response = act(client, "send_reminders", [late])
    assert response.status_code == 403 and mailoutbox == []


# Extend due date -------------------------------------------------------------------------------


def test_extend_due_date_asks_for_the_date_and_reason_then_extends(mod_client, mod, late):
    page = act(mod_client, "extend_due_dates", [late])
    html = page.content.decode()
    assert page.status_code == 200 and 'id="extend-due-date"' in html
    assert 'name="due_date"' in html and 'name="reason"' in html and "late@example.com" in html
    new = TODAY + dt.timedelta(days=14)
    response = act(
        mod_client, "extend_due_dates", [late], confirm="yes", due_date=new.isoformat(), reason="Back from leave"
    )
    assert f"Extended 1 assignment to {new:%d %b %Y}." in messages_of(response)
    late.refresh_from_db()
    assert late.due_date == new
    event = EnrollmentEvent.objects.get(kind=EventType.TRAINING_DUE_DATE_CHANGED)
    assert (event.actor, event.reason, event.after["due_date"]) == (mod, "Back from leave", new.isoformat())


def test_extend_due_date_without_a_reason_asks_again_and_changes_nothing(mod_client, late):
    response = act(
        mod_client,
        "extend_due_dates",
        [late],
        confirm="yes",
        due_date=(TODAY + dt.timedelta(days=14)).isoformat(),
        reason="",
    )
    assert 'id="extend-due-date"' in response.content.decode()
    assert "A reason is required to extend a due date." in response.content.decode()
    late.refresh_from_db()
    assert late.due_date == TODAY - dt.timedelta(days=4)
    assert not EnrollmentEvent.objects.filter(kind=EventType.TRAINING_DUE_DATE_CHANGED).exists()


def test_extend_due_date_to_an_earlier_day_is_refused(mod_client, late):
    earlier = TODAY - dt.timedelta(days=10)
    response = act(mod_client, "extend_due_dates", [late], confirm="yes", due_date=earlier.isoformat(), reason="typo")
    current = (TODAY - dt.timedelta(days=4)).isoformat()
    assert (
        f"late@example.com: The new due date {earlier.isoformat()} is not after the current one ({current})."
        in messages_of(response)
    )
    late.refresh_from_db()
    assert late.due_date == TODAY - dt.timedelta(days=4)


# Evidence is not deleted -----------------------------------------------------------------------


@pytest.fixture
def sm_client(client, db):
    client.force_login(UserFactory(email="sm@example.com", roles=[Role.SYSTEM_MANAGER]))
    return client


def test_certificates_and_quiz_submissions_cannot_be_deleted_or_edited(sm_client, course):
    learner = UserFactory()
    certificate = Certificate.objects.create(name="C-9", member=learner, course=course, issue_date=TODAY)
    submission = QuizSubmission.objects.create(
        member=learner,
        course=course,
        quiz=Quiz.objects.create(title="Q"),
        quiz_title="Q",
        attempt=1,
        score=4,
        score_out_of=10,
        percentage=40,
    )
    assert sm_client.post(f"/app/lms-certificate/{certificate.pk}/delete", {"post": "yes"}).status_code == 403
    assert sm_client.post(f"/app/lms-quiz-submission/{submission.pk}/delete", {"post": "yes"}).status_code == 403
    sm_client.post(f"/app/lms-quiz-submission/{submission.pk}", {"score": "10", "percentage": "100", "passed": "on"})
    submission.refresh_from_db()
    assert (submission.score, submission.passed) == (4, False)
    assert Certificate.objects.filter(pk=certificate.pk).exists()
    html = sm_client.get(f"/app/lms-quiz-submission/{submission.pk}").content.decode()
    assert 'name="score"' not in html  # shown, not editable
    listing = sm_client.get("/app/lms-quiz-submission").content.decode()
    assert "delete_selected" not in listing and 'href="/app/lms-quiz-submission/new"' not in listing


def test_a_training_assignment_with_history_cannot_be_deleted(sm_client, late):
    extend_due_date(assignment=late, due_date=TODAY + dt.timedelta(days=3), reason="leave", actor=None)
    assert sm_client.post(f"/app/lms-training-assignment/{late.pk}/delete", {"post": "yes"}).status_code == 403
    completed = TrainingAssignment.objects.create(
        user=UserFactory(), course=late.course, due_date=TODAY, status=AssignmentStatus.COMPLETED
    )
    assert sm_client.post(f"/app/lms-training-assignment/{completed.pk}/delete", {"post": "yes"}).status_code == 403
    assert TrainingAssignment.objects.count() == 2
    assert "delete_selected" not in sm_client.get("/app/lms-training-assignment").content.decode()


def test_a_fresh_training_assignment_made_by_mistake_can_be_deleted(sm_client, late):
    assert sm_client.post(f"/app/lms-training-assignment/{late.pk}/delete", {"post": "yes"}).status_code == 302
    assert not TrainingAssignment.objects.exists()


def test_a_course_with_enrollments_cannot_be_deleted(sm_client, course, learners):
    cohort = BatchFactory(courses=[course])
    enroll(batch=cohort, member=learners[0], actor=None, source="desk")
    assert sm_client.get(f"/app/lms-course/{course.name}/delete").status_code == 403
    assert sm_client.post(f"/app/lms-course/{course.name}/delete", {"post": "yes"}).status_code == 403
    assert Course.objects.filter(pk=course.pk).exists()
    assert "delete_selected" not in sm_client.get("/app/lms-course").content.decode()


def test_a_course_nobody_took_can_be_deleted(sm_client):
    unused = CourseFactory(name="draft-course")
    assert sm_client.post("/app/lms-course/draft-course/delete", {"post": "yes"}).status_code == 302
    assert not Course.objects.filter(pk=unused.pk).exists()
