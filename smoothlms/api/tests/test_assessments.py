"""The assessments API (CONTRACT.md section 12): quizzes without answers for learners, submissions
graded on the server, attempts, the PDF, assignments graded by evaluators, cohort assessments."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from django.db import connection
from django.test import Client
from pypdf import PdfReader

from smoothlms.api.tests.conftest import Api, error_of
from smoothlms.assessments.models import QuizSubmission
from smoothlms.assessments.tests.factories import link, make_assignment, make_quiz
from smoothlms.catalog.tests.factories import BatchFactory, CourseFactory
from smoothlms.core.testing import run_in_threads
from smoothlms.enrollment.models import Source
from smoothlms.enrollment.services import enroll
from smoothlms.people.roles import Role
from smoothlms.people.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

QUIZ = {
    "title": "Fire safety",
    "passing_percentage": 60,
    "max_attempts": 2,
    "questions": [
        {
            "text": "Extinguisher for electrical fires?",
            "kind": "single",
            "options": [{"text": "CO2", "correct": True}, {"text": "Water"}],
        },
        {
            "text": "Protective equipment?",
            "kind": "multiple",
            "marks": 2,
            "options": [{"text": "Gloves", "correct": True}, {"text": "Goggles", "correct": True}, {"text": "Mug"}],
        },
        {"text": "Emergency number?", "kind": "text", "answer": ["112", "911"]},
    ],
}


@pytest.fixture
def cohort(db):
    return BatchFactory(name="safety-week", courses=[CourseFactory(name="workplace-safety")])


@pytest.fixture
def learner(cohort):
    user = UserFactory(email="rosa@example.com", full_name="Rosa Diaz")
    enroll(batch=cohort, member=user, actor=None, source=Source.DESK, notify=False)
    return user


@pytest.fixture
def author(db):
    return UserFactory(roles=[Role.COURSE_CREATOR])


@pytest.fixture
def quiz_id(api, author, cohort):
    response = api(author).post("/quizzes", {**QUIZ, "course": "workplace-safety"})
    assert response.status_code == 201, response.content
    return response.json()["data"]["id"]


def _answers(quiz_body: dict, *, right: bool) -> list[dict]:
    q1, q2, q3 = quiz_body["questions"]
    if right:
        return [
            {"question": q1["id"], "options": [q1["options"][0]["id"]]},
            {"question": q2["id"], "options": [q2["options"][0]["id"], q2["options"][1]["id"]]},
            {"question": q3["id"], "text": " 911 "},
        ]
    return [{"question": q1["id"], "options": [q1["options"][1]["id"]]}, {"question": q3["id"], "text": "999"}]


def test_creating_a_quiz_answers_201_with_its_answers_for_the_author(api, author, quiz_id):
    body = api(author).get(f"/quizzes/{quiz_id}").json()["data"]
    assert body["course"] == "workplace-safety" and body["max_attempts"] == 2
    assert body["questions"][0]["options"][0] == {
        "id": body["questions"][0]["options"][0]["id"],
        "text": "CO2",
        "correct": True,
    }
    assert body["questions"][2]["answers"] == ["112", "911"]


def test_learners_cannot_create_quizzes(api, learner):
    assert error_of(api(learner).post("/quizzes", QUIZ))[:2] == (403, "permission_denied")


def test_an_invalid_question_is_a_validation_error(api, author):
    bad = {**QUIZ, "questions": [{"text": "Pick", "kind": "single", "options": [{"text": "a"}, {"text": "b"}]}]}
    status, code, message = error_of(api(author).post("/quizzes", bad))
    assert (status, code) == (422, "validation_error") and "exactly one must be correct" in message


def test_the_learners_view_never_contains_the_answers(api, learner, quiz_id):
    response = api(learner).get(f"/quizzes/{quiz_id}")
    assert response.status_code == 200
    body = response.json()["data"]
    assert set(body) == {
        "id",
        "title",
        "course",
        "passing_percentage",
        "max_attempts",
        "time_limit_minutes",
        "attempts_left",
        "questions",
    }
    for question in body["questions"]:
        assert set(question) == {"id", "text", "kind", "marks", "options"}
        assert all(set(option) == {"id", "text"} for option in question["options"])
    raw = response.content.decode()
    assert "correct" not in raw and "answers" not in raw and "112" not in raw and "911" not in raw
    started = api(learner).post(f"/quizzes/{quiz_id}/attempts")
    assert started.status_code == 201 and "correct" not in started.content.decode()
    # The questions only: the attempt's timestamps can hold any digits (a start at 09.911 did).
    assert "911" not in json.dumps(started.json()["data"]["questions"])


def test_a_learner_not_in_the_course_gets_403_not_enrolled_in_course(api, quiz_id):
    status, code, message = error_of(api(UserFactory()).get(f"/quizzes/{quiz_id}"))
    assert (status, code, message) == (403, "not_enrolled_in_course", "You are not enrolled in this course.")
    assert error_of(api(UserFactory()).post(f"/quizzes/{quiz_id}/submissions", {"answers": []}))[:2] == (
        403,
        "not_enrolled_in_course",
    )
    assert not QuizSubmission.objects.exists()


def test_submitting_answers_201_graded_on_the_server_then_409_when_attempts_run_out(api, learner, quiz_id):
    caller = api(learner)
    quiz = caller.get(f"/quizzes/{quiz_id}").json()["data"]
    failed = caller.post(f"/quizzes/{quiz_id}/submissions", {"answers": _answers(quiz, right=False)})
    assert failed.status_code == 201
    assert failed.json()["data"] == {
        "id": failed.json()["data"]["id"],
        "score": 0.0,
        "score_out_of": 4.0,
        "percentage": 0.0,
        "passed": False,
        "attempt": 1,
    }
    passed = caller.post(f"/quizzes/{quiz_id}/submissions", {"answers": _answers(quiz, right=True)})
    assert passed.status_code == 201 and passed.json()["data"]["passed"] and passed.json()["data"]["attempt"] == 2
    assert passed.json()["data"]["score"] == 4.0 and passed.json()["data"]["percentage"] == 100.0
    status, code, message = error_of(caller.post(f"/quizzes/{quiz_id}/submissions", {"answers": []}))
    assert (status, code, message) == (409, "max_attempts_reached", "You have no attempts left for this quiz.")
    assert QuizSubmission.objects.count() == 2


def test_an_answer_naming_another_quizs_question_is_422(api, learner, quiz_id):
    status, code, _ = error_of(
        api(learner).post(f"/quizzes/{quiz_id}/submissions", {"answers": [{"question": 999999, "text": "x"}]})
    )
    assert (status, code) == (422, "invalid_answer") and not QuizSubmission.objects.exists()


def test_the_pdf_is_for_the_learner_and_staff_only(api, learner, quiz_id):
    quiz = api(learner).get(f"/quizzes/{quiz_id}").json()["data"]
    submission = api(learner).post(f"/quizzes/{quiz_id}/submissions", {"answers": _answers(quiz, right=True)})
    pdf_path = f"/quiz-submissions/{submission.json()['data']['id']}.pdf"
    mine = api(learner).get(pdf_path)
    assert mine.status_code == 200 and mine["Content-Type"] == "application/pdf"
    text = " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(mine.content)).pages).split())
    assert "Rosa Diaz" in text and "Correct answer: CO2" in text and "Learner's answer:  911" not in text
    assert error_of(api(UserFactory()).get(pdf_path))[:2] == (404, "not_found")
    assert api(UserFactory(roles=[Role.BATCH_EVALUATOR])).get(pdf_path).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_two_submissions_racing_for_the_last_attempt_give_one_201_and_one_409():
    course = CourseFactory(name="ladders")
    batch = BatchFactory(courses=[course])
    learner = UserFactory()
    enroll(batch=batch, member=learner, actor=None, source=Source.DESK, notify=False)
    quiz = make_quiz(course=course, max_attempts=1)
    header = Api(learner).headers
    results: list[tuple[int, str]] = []

    def post(_: int) -> None:
        try:
            response = Client().post(
                f"/api/v1/quizzes/{quiz.pk}/submissions",
                json.dumps({"answers": []}),
                content_type="application/json",
                headers=header,
            )
            results.append((response.status_code, response.json().get("error", {}).get("code", "")))
        finally:
            connection.close()

    run_in_threads(post, range(2))
    assert sorted(results) == [(201, ""), (409, "max_attempts_reached")]


# Assignments ----------------------------------------------------------------------------------


def test_an_assignment_is_handed_in_graded_by_an_evaluator_and_refused_a_second_grade(
    api, cohort, learner, mailoutbox, django_capture_on_commit_callbacks, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    moderator = UserFactory(roles=[Role.MODERATOR])
    created = api(moderator).post(
        "/assignments", {"title": "Hazard photo", "kind": "file", "allowed_extensions": "pdf", "max_file_mb": 1}
    )
    assert created.status_code == 201 and created.json()["data"]["allowed_extensions"] == ["pdf"]
    assignment_id = created.json()["data"]["id"]
    assert api(moderator).post(f"/batches/{cohort.name}/assessments", {"assignment": assignment_id}).status_code == 201

    client = Api(learner)
    wrong = client.client.post(
        f"/api/v1/assignments/{assignment_id}/submissions",
        {"file": io.BytesIO(b"MZ not a pdf")},
        headers=client.headers,
    )
    assert error_of(wrong)[:2] == (422, "file_type_not_allowed")
    upload = io.BytesIO(b"%PDF-1.4 hazard")
    upload.name = "hazard.pdf"
    handed = client.client.post(
        f"/api/v1/assignments/{assignment_id}/submissions", {"file": upload}, headers=client.headers
    )
    assert handed.status_code == 201, handed.content
    submission = handed.json()["data"]
    assert (submission["status"], submission["file_name"], submission["member"]) == (
        "submitted",
        "hazard.pdf",
        "rosa@example.com",
    )

    assert error_of(api(learner).post(f"/assignment-submissions/{submission['id']}/grade", {"passed": True}))[:2] == (
        403,
        "permission_denied",
    )
    evaluator = UserFactory(roles=[Role.BATCH_EVALUATOR])
    with django_capture_on_commit_callbacks(execute=True):
        graded = api(evaluator).post(
            f"/assignment-submissions/{submission['id']}/grade", {"passed": True, "comment": "Clear photo."}
        )
    assert graded.status_code == 200 and graded.json()["data"]["status"] == "passed"
    assert graded.json()["data"]["comment"] == "Clear photo." and mailoutbox[0].to == ["rosa@example.com"]
    assert error_of(api(evaluator).post(f"/assignment-submissions/{submission['id']}/grade", {"passed": False}))[
        :2
    ] == (409, "already_graded")


def test_a_text_assignment_takes_a_form_field(api, cohort, learner):
    assignment = make_assignment(title="Near miss")
    link(cohort, assignment)
    client = Api(learner)
    response = client.client.post(
        f"/api/v1/assignments/{assignment.pk}/submissions", {"text": "A ladder slipped."}, headers=client.headers
    )
    assert response.status_code == 201 and response.json()["data"]["text"] == "A ladder slipped."
    again = client.client.post(
        f"/api/v1/assignments/{assignment.pk}/submissions", {"text": "Again"}, headers=client.headers
    )
    assert error_of(again)[:2] == (409, "assignment_awaiting_grade")


# Cohort assessments ---------------------------------------------------------------------------


def test_a_cohort_lists_its_assessments_with_the_members_status_and_exports_a_zip(api, cohort, learner):
    quiz = make_quiz(max_attempts=1)
    moderator = UserFactory(roles=[Role.MODERATOR])
    added = api(moderator).post(f"/batches/{cohort.name}/assessments", {"quiz": quiz.pk, "due_date": "2031-01-31"})
    assert added.status_code == 201 and added.json()["data"]["kind"] == "quiz"
    assert error_of(api(moderator).post(f"/batches/{cohort.name}/assessments", {"quiz": quiz.pk}))[:2] == (
        409,
        "assessment_already_in_cohort",
    )
    assert error_of(api(learner).post(f"/batches/{cohort.name}/assessments", {"quiz": quiz.pk}))[0] == 403

    [item] = api(learner).get(f"/batches/{cohort.name}/assessments").json()["data"]
    assert (item["title"], item["status"], item["due_date"]) == ("Fire safety", "not_started", "2031-01-31")
    api(learner).post(f"/quizzes/{quiz.pk}/submissions", {"answers": []})
    [due] = api(learner).get("/me/assessments").json()["data"]
    assert (due["batch"], due["id"], due["status"]) == ("safety-week", quiz.pk, "failed")

    [row] = api(moderator).get(f"/batches/{cohort.name}/assessments/status").json()["data"]
    assert (row["member"], row["status"]) == ("rosa@example.com", "failed")
    assert error_of(api(learner).get(f"/batches/{cohort.name}/assessments/status"))[0] == 403

    response = api(moderator).get(f"/batches/{cohort.name}/quiz-submissions.zip")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert len(archive.namelist()) == 1 and archive.read(archive.namelist()[0]).startswith(b"%PDF")
