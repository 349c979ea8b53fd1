"""Assessments in the desk: quizzes and questions written through the services, quiz submissions
read only (no add, change or delete path) with the print format and a Print button, assignment
submissions graded once, and each member's status on the cohort page."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from smoothlms.assessments.models import AssignmentSubmission, GradeStatus, Question, Quiz, QuizSubmission
from smoothlms.assessments.services import submit_assignment, submit_quiz
from smoothlms.assessments.tests.factories import link, make_assignment, make_quiz
from smoothlms.desk.tests.conftest import messages_of
from smoothlms.enrollment.models import Source
from smoothlms.enrollment.services import enroll
from smoothlms.people.tests.factories import EmployeeFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def learner(cohort):
    user = UserFactory(email="rosa@example.com", full_name="Rosa Diaz")
    EmployeeFactory(employee="HR-0042", user=user)
    enroll(batch=cohort, member=user, actor=None, source=Source.DESK, notify=False)
    return user


@pytest.fixture
def submission(cohort, learner):
    quiz = make_quiz()
    link(cohort, quiz)
    return submit_quiz(quiz=quiz, member=learner, answers=[], actor=learner)


def test_a_moderator_writes_a_quiz_and_a_question_with_options(mod_client):
    response = mod_client.post(
        "/app/assessments/quiz/add/",
        {"title": "Ladders", "passing_percentage": "80", "max_attempts": "3", "time_limit_minutes": ""},
    )
    assert response.status_code == 302
    quiz = Quiz.objects.get(title="Ladders")
    form = {
        "quiz": quiz.pk,
        "position": "0",
        "text": "Safe angle?",
        "kind": "single",
        "marks": "1",
        "accepted": "",
        "options-TOTAL_FORMS": "2",
        "options-INITIAL_FORMS": "0",
        "options-0-text": "75 degrees",
        "options-0-correct": "on",
        "options-0-position": "0",
        "options-1-text": "45 degrees",
        "options-1-position": "1",
    }
    assert mod_client.post("/app/assessments/question/add/", form).status_code == 302
    question = Question.objects.get()
    assert [(o.text, o.correct) for o in question.options.all()] == [("75 degrees", True), ("45 degrees", False)]
    page = mod_client.get(f"/app/assessments/quiz/{quiz.pk}/change/").content.decode()
    assert "Safe angle?" in page and "Add question" in page


def test_an_invalid_question_is_shown_on_the_form_and_nothing_is_saved(mod_client):
    quiz = make_quiz(questions=[])
    form = {
        "quiz": quiz.pk,
        "position": "0",
        "text": "Safe angle?",
        "kind": "single",
        "marks": "1",
        "accepted": "",
        "options-TOTAL_FORMS": "2",
        "options-INITIAL_FORMS": "0",
        "options-0-text": "75",
        "options-0-correct": "on",
        "options-1-text": "45",
        "options-1-correct": "on",
    }
    response = mod_client.post("/app/assessments/question/add/", form)
    assert response.status_code == 200 and "exactly one must be correct" in response.content.decode()
    assert not Question.objects.exists()


def test_the_submission_page_shows_the_print_format_with_a_print_button(mod_client, submission):
    page = mod_client.get(f"/app/assessments/quizsubmission/{submission.pk}/change/").content.decode()
    for expected in [
        "Print",
        "window.print()",
        f"/api/v1/quiz-submissions/{submission.pk}.pdf",
        "Rosa Diaz",
        "HR-0042",
        "Which extinguisher is for electrical fires?",
        "Learner's answer: (no answer)",
        "Correct answer: CO2",
        "Marks: 0 / 1",
        "(UTC+00:00, UTC)",
    ]:
        assert expected in page, expected


def test_no_desk_path_adds_changes_or_deletes_a_submission(mod_client, submission, system_client):
    for client in (mod_client, system_client):
        assert client.get("/app/assessments/quizsubmission/add/").status_code == 403
        client.post(f"/app/assessments/quizsubmission/{submission.pk}/change/", {"score": "0", "passed": "on"})
        assert (
            client.post(f"/app/assessments/quizsubmission/{submission.pk}/delete/", {"post": "yes"}).status_code == 403
        )
        response = client.post(
            "/app/assessments/quizsubmission/",
            {"action": "delete_selected", "_selected_action": [submission.pk], "post": "yes"},
        )
        assert response.status_code in (200, 302)
    stored = QuizSubmission.objects.get(pk=submission.pk)
    assert (stored.score, stored.passed, stored.answers.count()) == (0, False, 3)
    assert QuizSubmission.objects.count() == 1


@pytest.fixture
def system_client(db):
    from django.test import Client

    from smoothlms.people.roles import Role

    client = Client()
    client.force_login(UserFactory(email="root@example.com", roles=[Role.SYSTEM_MANAGER]))
    return client


def test_an_evaluator_grades_an_assignment_once_in_the_desk(
    evaluator_client, cohort, learner, mailoutbox, django_capture_on_commit_callbacks
):
    assignment = make_assignment()
    link(cohort, assignment)
    handed = submit_assignment(assignment=assignment, member=learner, actor=learner, text="Cables on the floor")
    url = f"/app/assessments/assignmentsubmission/{handed.pk}/change/"
    assert "Cables on the floor" in evaluator_client.get(url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = evaluator_client.post(url, {"result": "failed", "comment": "Name the wet floor too."}, follow=True)
    assert f"{handed.name} graded" in " ".join(messages_of(response))
    handed.refresh_from_db()
    assert (handed.status, handed.comment) == (GradeStatus.FAILED, "Name the wet floor too.")
    assert mailoutbox[0].to == ["rosa@example.com"]
    evaluator_client.post(url, {"result": "passed", "comment": "changed"})
    handed.refresh_from_db()
    assert handed.status == GradeStatus.FAILED and AssignmentSubmission.objects.count() == 1


def test_the_cohort_page_shows_each_members_assessment_status(mod_client, cohort, learner, submission):
    link(cohort, make_assignment(title="Near miss report"))
    page = mod_client.get(f"/app/catalog/batch/{cohort.pk}/change/").content.decode()
    assert 'id="assessments"' in page and "Fire safety" in page and "Near miss report" in page
    assert "rosa@example.com" in page and "Not passed yet" in page and "Not started" in page
    response = mod_client.get(f"/app/assessments/quizsubmission/zip/?batch={cohort.name}")
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert len(archive.namelist()) == 1


def test_students_never_reach_the_assessment_pages(student_client, submission):
    assert student_client.get(f"/app/assessments/quizsubmission/{submission.pk}/change/").status_code in (302, 403)
    assert student_client.get("/app/assessments/quizsubmission/zip/?batch=new-hires").status_code in (302, 403)


@pytest.mark.parametrize(
    "path",
    [
        "/app/assessments/quizsubmission/",
        "/app/assessments/assignmentsubmission/",
        "/app/assessments/quiz/",
        "/app/assessments/batchassessment/",
    ],
)
def test_assessment_lists_read_in_a_fixed_number_of_queries(mod_client, cohort, path):
    def add(count):
        for _ in range(count):
            learner = UserFactory()
            enroll(batch=cohort, member=learner, actor=None, source=Source.DESK, notify=False, override_start=False)
            quiz = make_quiz()
            link(cohort, quiz)
            assignment = make_assignment()
            link(cohort, assignment)
            submit_quiz(quiz=quiz, member=learner, answers=[], actor=learner)
            submit_assignment(assignment=assignment, member=learner, actor=learner, text="x")

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            assert mod_client.get(path).status_code == 200
        return len(ctx.captured_queries)

    cohort.seat_count = None
    cohort.save()
    add(1)
    few = queries()
    add(4)
    assert queries() == few
