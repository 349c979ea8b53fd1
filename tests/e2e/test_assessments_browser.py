"""A learner takes a cohort quiz on the portal in a real browser: fails, retries, passes; the PDF of
the passing submission is downloaded and its first page rendered (pdftoppm) for the record."""

from __future__ import annotations

import io
import shutil
import subprocess

import pytest
from pypdf import PdfReader

from smoothlms.assessments.models import QuizSubmission
from smoothlms.assessments.tests.factories import link, make_quiz, multiple, single, text
from smoothlms.catalog.tests.factories import BatchFactory, CourseFactory
from smoothlms.enrollment.models import Source
from smoothlms.enrollment.services import enroll
from smoothlms.people.tests.factories import EmployeeFactory, UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

PASSWORD = "learner-pass-123"


@pytest.fixture
def cohort_quiz():
    cohort = BatchFactory(
        name="warehouse-safety", title="Warehouse safety induction", courses=[CourseFactory(title="Warehouse safety")]
    )
    learner = UserFactory(
        email="ada@example.com", full_name="Ada Lovelace", password=PASSWORD, time_zone="Europe/London"
    )
    EmployeeFactory(employee="HR-0815", employee_name="Ada Lovelace", user=learner)
    enroll(batch=cohort, member=learner, actor=None, source=Source.DESK, notify=False)
    quiz = make_quiz(
        title="Forklift safety check",
        passing_percentage=75,
        max_attempts=3,
        questions=[
            single(
                "Who may drive a forklift?",
                "Only trained, authorised staff",
                "Anyone with a car licence",
                "Visitors with a guide",
            ),
            multiple("What do you check before driving?", ["Brakes", "Forks and chains"], ["The radio"], marks="2"),
            text("What is the site speed limit in km/h?", "10", "10 km/h"),
        ],
    )
    link(cohort, quiz)
    return quiz


def _answer(page, *, right: bool) -> None:
    page.get_by_label("Only trained, authorised staff" if right else "Anyone with a car licence").check()
    page.get_by_label("Brakes").check()
    if right:
        page.get_by_label("Forks and chains").check()
    page.get_by_label("Your answer").fill("10" if right else "25")
    page.get_by_role("button", name="Submit answers").click()
    page.wait_for_load_state("networkidle")


def test_a_learner_fails_retries_and_passes_a_cohort_quiz(page, sign_in, artifacts_dir, cohort_quiz, live_server):
    sign_in("ada@example.com", PASSWORD)
    page.goto("/lms/assessments")
    assert page.inner_text("[data-status]") == "Not started"
    page.click("text=Forklift safety check")
    page.get_by_role("button", name="Start quiz").click()
    page.wait_for_url("**/attempt")
    html = page.content()
    assert "correct" not in html.lower() and "10 km/h" not in html  # the page never carries the answers
    page.screenshot(path=str(artifacts_dir / "quiz-attempt.png"), full_page=True)
    _answer(page, right=False)
    assert page.inner_text("[data-verdict]") == "Not passed"
    assert "0 of 4" in page.inner_text("[data-score]")
    page.screenshot(path=str(artifacts_dir / "quiz-failed.png"), full_page=True)

    page.click("[data-retry]")
    assert "1 used, 2 left" in page.inner_text("[data-attempts]")
    page.get_by_role("button", name="Try again").click()
    page.wait_for_url("**/attempt")
    assert "attempt 2" in page.inner_text("h1")
    _answer(page, right=True)
    assert page.inner_text("[data-verdict]") == "Passed"
    assert "4 of 4" in page.inner_text("[data-score]")
    page.screenshot(path=str(artifacts_dir / "quiz-passed.png"), full_page=True)

    page.goto("/lms/assessments")
    assert page.inner_text("[data-status]") == "Passed"
    submissions = list(QuizSubmission.objects.order_by("attempt").values_list("attempt", "passed"))
    assert submissions == [(1, False), (2, True)]

    passing = QuizSubmission.objects.get(attempt=2)
    response = page.request.get(f"{live_server.url}/api/v1/quiz-submissions/{passing.pk}.pdf")
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    pdf = response.body()
    content = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())
    assert "HR-0815" in content and "Learner's answer: 10" in content and "Europe/London" in content
    (artifacts_dir / "quiz-submission.pdf").write_bytes(pdf)
    if shutil.which("pdftoppm"):
        subprocess.run(
            [
                "pdftoppm",
                "-png",
                "-r",
                "80",
                "-f",
                "1",
                "-l",
                "1",
                "-singlefile",
                str(artifacts_dir / "quiz-submission.pdf"),
                str(artifacts_dir / "quiz-submission"),
            ],
            check=True,
            timeout=60,
        )
        assert (artifacts_dir / "quiz-submission.png").stat().st_size > 10_000
