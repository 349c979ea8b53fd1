"""The print format read back with pypdf: every question, the learner's answer, the correct answer,
the marks, the HR id and the submission time with its zone are in the text; the cohort ZIP holds
one PDF per submission."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest
from pypdf import PdfReader

from smoothlms.assessments.grading import AnswerIn
from smoothlms.assessments.models import QuizSubmission
from smoothlms.assessments.pdf import render_submission_pdf, stream_zip, submissions_zip
from smoothlms.assessments.selectors import list_batch_submissions, list_questions, submission_print
from smoothlms.assessments.services import submit_quiz
from smoothlms.assessments.tests.conftest import answers_for
from smoothlms.assessments.tests.factories import link, make_quiz, single, text

pytestmark = pytest.mark.django_db


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def _flat(value: str) -> str:
    return " ".join(value.split())


def test_the_pdf_names_everything_an_auditor_needs(cohort, learner, quiz):
    q1, q2, q3 = list_questions(quiz=quiz)
    submission = submit_quiz(
        quiz=quiz,
        member=learner,
        actor=learner,
        answers=[
            AnswerIn(q1.pk, options=[o.pk for o in q1.options.all() if o.text == "Water"]),
            AnswerIn(q2.pk, options=[o.pk for o in q2.options.all() if o.correct]),
            AnswerIn(q3.pk, text="112"),
        ],
    )
    QuizSubmission.objects.filter(pk=submission.pk)  # the stored row, as any reader gets it
    stored = QuizSubmission.objects.select_related("member", "course", "batch").get(pk=submission.pk)
    content = _flat(pdf_text(render_submission_pdf(submission_print(stored))))

    for expected in [
        "Rosa Diaz",
        "rosa@example.com",
        "HR id HR-0042",
        "Fire safety",
        "Safety week",
        "Attempt 1",
        "Which extinguisher is for electrical fires?",
        "Learner's answer: Water",
        "Correct answer: CO2",
        "Marks: 0 / 1",
        "Which are personal protective equipment?",
        "Learner's answer: Gloves; Goggles",
        "Correct answer: Gloves; Goggles",
        "Marks: 2 / 2",
        "What number do you call in an emergency?",
        "Learner's answer: 112",
        "Correct answer: 112 | 911",
        "Marks: 1 / 1",
        "Score 3 / 4 (75%; passing 75%)",
        "Passed",
    ]:
        assert expected in content, expected
    local = stored.submitted_at.astimezone(
        dt.timezone(stored.submitted_at.astimezone(__import__("zoneinfo").ZoneInfo("Europe/Berlin")).utcoffset())
    )
    zone = local.strftime("%z")
    assert f"Submitted {local:%Y-%m-%d %H:%M:%S}" in content
    assert f"(UTC{zone[:3]}:{zone[3:]}, Europe/Berlin)" in content
    assert "CET" in content or "CEST" in content


def test_text_outside_windows_1252_is_kept_with_the_embedded_font(cohort, learner):
    quiz = make_quiz(
        title="Sicherheit · 安全", questions=[text("Wie heißt du? Как тебя зовут?", "Роза")], passing_percentage=100
    )
    link(cohort, quiz)
    question = list_questions(quiz=quiz)[0]
    submission = submit_quiz(quiz=quiz, member=learner, actor=learner, answers=[AnswerIn(question.pk, text="Роза")])
    content = _flat(pdf_text(render_submission_pdf(submission_print(submission))))
    assert "Как тебя зовут?" in content and "Learner's answer: Роза" in content and "Wie heißt du?" in content
    assert "Sicherheit · [U+5B89][U+5168]" in content  # no CJK glyphs in the shipped font: the code points


def test_a_hundred_questions_run_over_several_pages(cohort, learner):
    quiz = make_quiz(questions=[single(f"Question number {n}?", f"Right {n}", f"Wrong {n}") for n in range(100)])
    link(cohort, quiz)
    submission = submit_quiz(quiz=quiz, member=learner, actor=learner, answers=[])
    data = render_submission_pdf(submission_print(submission))
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) > 3
    content = _flat(pdf_text(data))
    assert all(f"{n + 1}. Question number {n}?" in content for n in range(100))
    assert f"page {len(reader.pages)} of {len(reader.pages)}" in content


def test_the_cohort_zip_holds_one_readable_pdf_per_submission(cohort, learner, quiz):
    for right in (False, True):
        submit_quiz(quiz=quiz, member=learner, actor=learner, answers=answers_for(quiz, right=right))
    archive = zipfile.ZipFile(io.BytesIO(b"".join(submissions_zip(list_batch_submissions(batch=cohort)))))
    assert archive.testzip() is None
    names = sorted(archive.namelist())
    assert names == [
        f"hr-0042-fire-safety-attempt-1-QS-{QuizSubmission.objects.get(attempt=1).pk:06d}.pdf",
        f"hr-0042-fire-safety-attempt-2-QS-{QuizSubmission.objects.get(attempt=2).pk:06d}.pdf",
    ]
    assert "Attempt 2" in _flat(pdf_text(archive.read(names[1])))


def test_stream_zip_yields_as_it_goes_and_keeps_names_unique():
    pieces = list(stream_zip([("a.pdf", b"1" * 1000), ("a.pdf", b"2" * 1000), ("b.pdf", b"3")]))
    assert len(pieces) == 4 and all(len(piece) < 1200 for piece in pieces[:3])
    archive = zipfile.ZipFile(io.BytesIO(b"".join(pieces)))
    assert archive.namelist() == ["a.pdf", "a-2.pdf", "b.pdf"] and archive.read("a-2.pdf") == b"2" * 1000
