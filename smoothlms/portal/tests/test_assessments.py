"""Portal pages of assessments: what is due, a quiz taken from start to result (the pages never
carry the correct answers), refusals shown with their message, an assignment handed in."""

from __future__ import annotations

import re

import pytest

from smoothlms.assessments.models import AssignmentSubmission, QuizSubmission
from smoothlms.assessments.selectors import list_questions
from smoothlms.assessments.tests.factories import link, make_assignment, make_quiz
from smoothlms.catalog.tests.factories import BatchFactory
from smoothlms.enrollment.models import Source
from smoothlms.enrollment.services import enroll
from smoothlms.people.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def visible(page: str) -> str:
    """The page without its CSRF token, whose random letters and digits could spell an answer."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", page)


def shows(text: str, page: str) -> bool:
    return re.search(rf"\b{re.escape(text)}\b", visible(page), re.IGNORECASE) is not None


@pytest.fixture
def cohort(db):
    return BatchFactory(name="safety-week", title="Safety week")


@pytest.fixture
def learner(cohort, client):
    user = UserFactory(email="rosa@example.com")
    enroll(batch=cohort, member=user, actor=None, source=Source.DESK, notify=False)
    client.force_login(user)
    return user


@pytest.fixture
def quiz(cohort):
    quiz = make_quiz(max_attempts=2)
    link(cohort, quiz)
    return quiz


def test_what_is_due_lists_the_cohorts_assessments(client, learner, quiz, cohort):
    link(cohort, make_assignment(title="Near miss report"))
    html = client.get("/lms/assessments").content.decode()
    assert "Fire safety" in html and "Near miss report" in html and "Not started" in html
    assert 'href="/lms/assessments" aria-current="page"' in html


def test_a_learner_takes_a_quiz_and_the_pages_never_show_the_answers(client, learner, quiz):
    assert "Start quiz" in client.get(f"/lms/quizzes/{quiz.pk}").content.decode()
    response = client.post(f"/lms/quizzes/{quiz.pk}/start")
    assert response.status_code == 302 and response["Location"] == f"/lms/quizzes/{quiz.pk}/attempt"
    page = client.get(f"/lms/quizzes/{quiz.pk}/attempt").content.decode()
    assert "Which extinguisher is for electrical fires?" in page and 'name="attempt" value="1"' in page
    assert not shows("correct", page) and not shows("112", page) and not shows("911", page)

    q1, q2, q3 = list_questions(quiz=quiz)
    co2 = next(o.pk for o in q1.options.all() if o.correct)
    form = {
        "attempt": "1",
        f"q{q1.pk}": str(co2),
        f"q{q2.pk}": [str(o.pk) for o in q2.options.all() if o.correct],
        f"q{q3.pk}": "112",
    }
    response = client.post(f"/lms/quizzes/{quiz.pk}/submit", form)
    submission = QuizSubmission.objects.get()
    assert response["Location"] == f"/lms/quiz-submissions/{submission.pk}" and submission.score == 4
    result = client.get(response["Location"]).content.decode()
    assert "Passed" in result and "4 of 4" in result and f"/api/v1/quiz-submissions/{submission.pk}.pdf" in result
    assert not shows("Correct answer", result) and not shows("911", result)  # the other accepted answer stays hidden


def test_submitting_twice_shows_the_refusal_and_records_one(client, learner, quiz):
    client.post(f"/lms/quizzes/{quiz.pk}/start")
    client.post(f"/lms/quizzes/{quiz.pk}/submit", {"attempt": "1"})
    response = client.post(f"/lms/quizzes/{quiz.pk}/submit", {"attempt": "1"}, follow=True)
    assert "Attempt 1 of this quiz is not open" in response.content.decode()
    assert QuizSubmission.objects.count() == 1


def test_no_attempts_left_is_said_on_the_quiz_page(client, learner, quiz):
    for _ in range(2):
        client.post(f"/lms/quizzes/{quiz.pk}/submit", {})
    page = client.get(f"/lms/quizzes/{quiz.pk}").content.decode()
    assert "You have no attempts left for this quiz." in page and "Start quiz" not in page
    response = client.post(f"/lms/quizzes/{quiz.pk}/start", follow=True)
    assert "You have no attempts left for this quiz." in response.content.decode()


def test_a_learner_outside_the_cohort_gets_403_with_the_reason(client, quiz):
    client.force_login(UserFactory())
    response = client.get(f"/lms/quizzes/{quiz.pk}")
    assert response.status_code == 403
    assert "You are not enrolled in a cohort that has this assessment." in response.content.decode()
    assert client.get(f"/lms/quizzes/{quiz.pk}/attempt").status_code == 403
    assert client.get("/lms/quizzes/999999").status_code == 404


def test_another_learners_result_is_not_found(client, learner, quiz):
    client.post(f"/lms/quizzes/{quiz.pk}/submit", {})
    client.force_login(UserFactory())
    assert client.get(f"/lms/quiz-submissions/{QuizSubmission.objects.get().pk}").status_code == 404


def test_an_assignment_is_handed_in_once_until_graded(client, learner, cohort):
    assignment = make_assignment(title="Near miss report", instructions="Describe one near miss.")
    link(cohort, assignment)
    page = client.get(f"/lms/assignments/{assignment.pk}").content.decode()
    assert "Describe one near miss." in page and re.search(r'<textarea id="text" name="text"', page)
    response = client.post(f"/lms/assignments/{assignment.pk}/submit", {"text": "A ladder slipped."}, follow=True)
    html = response.content.decode()
    assert "Handed in." in html and "Awaiting grade" in html and "Hand in</h2>" not in html
    assert AssignmentSubmission.objects.get().text == "A ladder slipped."
