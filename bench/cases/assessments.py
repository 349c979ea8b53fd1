"""Assessments: 1,000 submissions of a 20-question quiz over HTTP (the API through Django's full
request stack: token auth, JSON parsing, the learner's lock, grading, 21 inserts and an audit row),
compared with a trivial authenticated POST in the same run (token auth and a body the schema
refuses: 422 before any view code); the PDF of a 100-question submission; and a ZIP of 2,000
20-question submission PDFs streamed to a sink that keeps nothing (peak memory = what the export
holds at once)."""

from __future__ import annotations

import datetime as dt
import gc
import json
import logging
import os
import threading
import time

from django.utils import timezone

from bench.harness import Measure, measure, result

SUBMISSIONS = 1_000
LEARNERS = 50
QUESTIONS = 20
PDF_QUESTIONS = 100
ZIP_SUBMISSIONS = 2_000


def _quiz(title: str, questions: int):
    from smoothlms.assessments.services import OptionSpec, QuestionSpec, QuizFields, create_quiz

    specs = []
    for n in range(questions):
        if n % 3 == 2:
            specs.append(
                QuestionSpec(text=f"Question {n}: the site speed limit in km/h?", kind="text", answers=["10", "ten"])
            )
        else:
            specs.append(
                QuestionSpec(
                    text=f"Question {n}: which of these is safe practice number {n}?",
                    kind="single" if n % 3 == 0 else "multiple",
                    options=[
                        OptionSpec(f"Safe practice {n}", True),
                        OptionSpec(f"Also safe {n}", n % 3 == 1),
                        OptionSpec(f"Unsafe shortcut {n}"),
                        OptionSpec(f"Unsafe habit {n}"),
                    ],
                )
            )
    return create_quiz(values=QuizFields(title=title, passing_percentage=70), questions=specs, actor=None)


def _cohort_with_learners(quiz, count: int):
    from smoothlms.assessments.services import add_batch_assessment
    from smoothlms.catalog.services import create_batch
    from smoothlms.enrollment.services import bulk_enroll
    from smoothlms.people.models import User
    from smoothlms.people.services import create_user

    start = timezone.localdate() + dt.timedelta(days=30)
    batch = create_batch(
        title=f"Bench {quiz.title}",
        start_date=start,
        start_time=dt.time(9),
        end_date=start + dt.timedelta(days=5),
        end_time=dt.time(17),
        timezone="Europe/Berlin",
        seat_count=None,
        published=True,
        courses=[],
        actor=None,
    )
    emails = [f"quiz{quiz.pk}.{i}@bench.example.com" for i in range(count)]
    for email in emails:
        create_user(email=email, actor=None)
    bulk_enroll(batch=batch, members=emails, actor=None, source="api", notify=False)
    add_batch_assessment(batch=batch, quiz=quiz, actor=None)
    return list(User.objects.filter(email__in=emails).order_by("pk"))


def _body(quiz) -> str:
    from smoothlms.assessments.selectors import list_questions

    answers = []
    for question in list_questions(quiz=quiz):
        if question.kind == "text":
            answers.append({"question": question.pk, "text": "10"})
        else:
            answers.append({"question": question.pk, "options": [o.pk for o in question.options.all() if o.correct]})
    return json.dumps({"answers": answers})


def _http() -> list:
    from django.test import Client

    from smoothlms.people.services import issue_api_key

    quiz = _quiz("HTTP", QUESTIONS)
    learners = _cohort_with_learners(quiz, LEARNERS)
    headers = [{"Authorization": f"token {issue_api_key(user=user)}"} for user in learners]
    client, body, path = Client(), _body(quiz), f"/api/v1/quizzes/{quiz.pk}/submissions"

    def submit() -> int:
        for i in range(SUBMISSIONS):
            response = client.post(path, body, content_type="application/json", headers=headers[i % LEARNERS])
            assert response.status_code == 201, response.content
        return SUBMISSIONS

    def trivial() -> int:
        for i in range(SUBMISSIONS):
            response = client.post(path, "{}", content_type="application/json", headers=headers[i % LEARNERS])
            assert response.status_code == 422, response.content
        return SUBMISSIONS

    logging.getLogger("django.request").setLevel(logging.ERROR)  # not a line per expected 422
    baseline = measure(trivial)
    run = measure(submit)
    return [
        result(
            f"quiz submissions over HTTP: {SUBMISSIONS:,} of a {QUESTIONS}-question quiz",
            "",
            run,
            baseline=baseline,
            notes=[
                f"x per-row here: submissions per second / trivial authenticated POSTs per second (a 422 "
                f"after token auth) in the same run; {LEARNERS} learners, Django's test client in-process"
            ],
        )
    ]


def _submission(questions: int):
    from smoothlms.assessments.grading import AnswerIn
    from smoothlms.assessments.selectors import list_questions
    from smoothlms.assessments.services import submit_quiz
    from smoothlms.people.models import User

    quiz = _quiz(f"PDF {questions}", questions)
    [learner] = _cohort_with_learners(quiz, 1)

    answers = [
        AnswerIn(q.pk, text="10") if q.kind == "text" else AnswerIn(q.pk, options=[q.options.first().pk])
        for q in list_questions(quiz=quiz)
    ]
    return quiz, submit_quiz(quiz=quiz, member=User.objects.get(pk=learner.pk), answers=answers, actor=None)


def _pdf() -> list:
    from smoothlms.assessments.models import QuizSubmission
    from smoothlms.assessments.pdf import render_submission_pdf
    from smoothlms.assessments.selectors import submission_print

    _, submission = _submission(PDF_QUESTIONS)
    submission = QuizSubmission.objects.select_related("member", "course", "batch").get(pk=submission.pk)
    sizes = []

    def render() -> int:
        sizes.append(len(render_submission_pdf(submission_print(submission))))
        return 1

    run = measure(render, memory_fn=render)
    return [
        result(
            f"quiz submission PDF: {PDF_QUESTIONS} questions",
            "",
            run,
            notes=[f"{PDF_QUESTIONS}-question PDF: {sizes[0] / 1024:.0f} KB"],
        )
    ]


def _copies(quiz, submission, count: int) -> None:
    """`count` more submissions like `submission` (other learners), inserted in bulk: evidence rows
    have no update path, but inserting them is what every path does."""
    from smoothlms.assessments.models import QuizAnswer, QuizSubmission
    from smoothlms.people.models import User

    now = timezone.now()
    User.objects.bulk_create(
        [User(email=f"zip.{i}@bench.example.com", password="!", created_at=now) for i in range(count)], batch_size=2000
    )
    members = list(User.objects.filter(email__startswith="zip.").order_by("pk").values_list("pk", flat=True))
    template = list(QuizAnswer.objects.filter(submission=submission).order_by("position"))
    fields = {
        f.attname: getattr(submission, f.attname)
        for f in QuizSubmission._meta.concrete_fields
        if f.attname not in ("id", "member_id", "started_attempt_id")
    }
    QuizSubmission.objects.bulk_create(
        [QuizSubmission(**{**fields, "member_id": pk}) for pk in members], batch_size=1000
    )
    ids = QuizSubmission.objects.filter(member_id__in=members).values_list("pk", flat=True)
    answer_fields = [f.attname for f in QuizAnswer._meta.concrete_fields if f.attname not in ("id", "submission_id")]
    QuizAnswer.objects.bulk_create(
        [
            QuizAnswer(submission_id=pk, **{name: getattr(a, name) for name in answer_fields})
            for pk in ids
            for a in template
        ],
        batch_size=5000,
    )


def _rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _peak_rss_growth(fn) -> tuple[int, float, float, float, float]:
    """Run `fn` while a thread samples the resident memory every 20 ms: (rows, seconds, peak growth
    in MB, resident MB at the start, peak resident MB). tracemalloc would be the harness's way, but
    it slows fpdf2 down twelvefold (2,000 PDFs: minutes); resident memory also counts what C code
    and the allocator hold."""
    start, done = _rss_mb(), threading.Event()
    peak = [start]

    def sample() -> None:
        while not done.wait(0.02):
            peak[0] = max(peak[0], _rss_mb())

    sampler = threading.Thread(target=sample, daemon=True)
    gc.collect()
    sampler.start()
    began = time.perf_counter()
    rows = fn()
    seconds = time.perf_counter() - began
    done.set()
    sampler.join()
    top = max(peak[0], _rss_mb())
    return rows, seconds, top - start, start, top


def _zip() -> list:
    from smoothlms.assessments.models import QuizSubmission
    from smoothlms.assessments.pdf import submissions_zip

    quiz, submission = _submission(QUESTIONS)
    _copies(quiz, submission, ZIP_SUBMISSIONS - 1)
    queryset = QuizSubmission.objects.filter(quiz=quiz)
    assert queryset.count() == ZIP_SUBMISSIONS
    sizes = []

    def export() -> int:
        total = 0
        for piece in submissions_zip(queryset):
            total += len(piece)  # sent on and forgotten, as a streaming response does
        sizes.append(total)
        return ZIP_SUBMISSIONS

    rows, seconds, growth, start, top = _peak_rss_growth(export)
    return [
        result(
            f"ZIP of {ZIP_SUBMISSIONS:,} submission PDFs ({QUESTIONS} questions each), streamed",
            "",
            Measure(seconds=seconds, rows=rows, peak_mb=growth),
            notes=[
                f"ZIP of {ZIP_SUBMISSIONS:,} PDFs: {sizes[0] / 1024 / 1024:.1f} MB streamed; peak MB here "
                "is the growth of resident memory during the run (sampled every 20 ms), not tracemalloc; "
                f"resident {start:.0f} MB at the start, {top:.0f} MB at the peak"
            ],
        )
    ]


def run(database: str):
    results = [*_http(), *_pdf(), *_zip()]
    for item in results:
        item.database = database
    return results
