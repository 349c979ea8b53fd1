"""Course progress over HTTP (CONTRACT.md section 11). 200 learners, each with their own API token,
are active members of a cohort with two courses: one of 10 text lessons (2 chapters of 5) and one
with a SCORM 1.2 lesson (its package built and installed here). Three kinds of burst, 200 clients
released together, each client sending its 10 requests one after the other (a connection each):

- the reference, the trivial authenticated `GET /bench/ping` 10 times (bench/server/urls.py);
- completions: `POST /api/v1/me/lessons/{id}/complete` for each of the course's 10 lessons in order
  (the 10th completes the course: its audit event and training side effects);
- SCORM commits: `POST /api/v1/me/lessons/{id}/scorm`, 10 commits of the CMI values a package sends
  as the learner goes (location, suspend data, session time, score, interactions), the last with
  `cmi.core.lesson_status` completed.

Every round has a fresh cohort and fresh courses (a completed lesson is not completed again), and
the kinds are interleaved; round 0 warms the workers up and is not counted. After each round the
database is checked: 200 x 10 completed lesson rows, every learner at 100 with `completed_at`; each
learner's SCORM row completed with the last commit's data and score, and the SCORM course at 100.

PostgreSQL: gunicorn 4 workers x 6 threads (gthread), as bench/cases/http_self_enroll.py. SQLite:
what `make run` serves (scripts/run_embedded.py): gunicorn 2 workers x 4 threads and the task worker
beside it, on the project's SQLite settings (WAL, IMMEDIATE transactions, busy timeout); every
`database is locked`, in an answer or in the server's log, is counted."""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from decimal import Decimal

from django.db import connection
from django.test import override_settings

from bench.harness import scale
from bench.httpcase import (
    LOCKED,
    HttpResult,
    Server,
    burst,
    cohort,
    in_process,
    learners,
    new_stats,
    record,
    statements,
    summary,
    warning_notes,
    watched_request,
)
from smoothlms.catalog.models import Lesson, LessonKind
from smoothlms.catalog.services import create_course
from smoothlms.core.models import EnrollmentEvent, EventType
from smoothlms.enrollment.models import CourseEnrollment, EnrollmentStatus, Source
from smoothlms.enrollment.services import bulk_enroll
from smoothlms.learning import services
from smoothlms.learning.models import LessonProgress, LessonStatus
from smoothlms.learning.samples import scorm_package_upload

LEARNERS, STEPS = 200, 10
CHAPTERS = 2  # of STEPS // CHAPTERS text lessons each
ROUNDS = 3 if scale() >= 1 else 1
DOMAIN = "learning.example.com"
SERVERS = {
    # As bench/cases/http_self_enroll.py.
    "postgresql": (["--workers", "4", "--worker-class", "gthread", "--threads", "6"], False),
    # As `make run` (scripts/run_embedded.py): 2 workers x 4 threads (gthread), the task worker beside.
    "sqlite": (["--workers", "2", "--threads", "4"], True),
}
PING = "GET /bench/ping (trivial, authenticated) x 10 per learner"
COMPLETE = "POST /api/v1/me/lessons/{id}/complete, 10 text lessons per learner in order"
SCORM = "POST /api/v1/me/lessons/{id}/scorm, 10 SCORM 1.2 commits per learner"


def scorm_commit(learner: int, step: int) -> dict[str, str]:
    """The CMI values a SCORM 1.2 package commits at its `step`-th page (1..STEPS), flattened as the
    portal's runtime sends them; the last step reports the lesson completed with a score of 100."""
    last = step == STEPS
    answers = {f"q{n}": "abcd"[(learner + n) % 4] for n in range(1, step + 1)}
    values = {
        "cmi.core.student_id": f"learner{learner}@{DOMAIN}",
        "cmi.core.student_name": f"Learner {learner}",
        "cmi.core.lesson_location": f"page-{step}",
        "cmi.core.lesson_status": "completed" if last else "incomplete",
        "cmi.core.entry": "resume" if step > 1 else "ab-initio",
        "cmi.core.exit": "" if last else "suspend",
        "cmi.core.session_time": f"00:{step:02d}:30",
        "cmi.core.score.raw": str(step * 10),
        "cmi.core.score.min": "0",
        "cmi.core.score.max": "100",
        "cmi.suspend_data": json.dumps({"page": step, "visited": list(range(1, step + 1)), "answers": answers}),
        "cmi.launch_data": "",
        "cmi.comments": "",
    }
    for n in range(step):
        values |= {
            f"cmi.interactions.{n}.id": f"q{n + 1}",
            f"cmi.interactions.{n}.type": "choice",
            f"cmi.interactions.{n}.student_response": answers[f"q{n + 1}"],
            f"cmi.interactions.{n}.result": "correct",
        }
    return values


def _course_with_lessons(title: str) -> list[Lesson]:
    course = create_course(title=title, published=True, actor=None)
    lessons = []
    for c in range(CHAPTERS):
        chapter = services.create_chapter(course=course, title=f"Chapter {c + 1}", actor=None)
        for n in range(STEPS // CHAPTERS):
            lessons.append(
                services.create_lesson(
                    course=course,
                    chapter=chapter,
                    title=f"Lesson {c + 1}.{n + 1}",
                    kind=LessonKind.TEXT,
                    body="## Reading\n\nA page of **text** to read, then *Mark as complete*.",
                    actor=None,
                )
            )
    return lessons


def _scorm_lesson(title: str) -> Lesson:
    course = create_course(title=title, published=True, actor=None)
    chapter = services.create_chapter(course=course, title="Interactive", actor=None)
    lesson = services.create_lesson(course=course, chapter=chapter, title=title, kind=LessonKind.SCORM, actor=None)
    return services.attach_scorm_package(lesson=lesson, upload=scorm_package_upload(title=title), actor=None)


class Round:
    """A fresh cohort of every learner with a 10-lesson course and a SCORM course."""

    def __init__(self, number: int) -> None:
        self.lessons = _course_with_lessons(f"HTTP lessons {number}")
        self.scorm = _scorm_lesson(f"HTTP SCORM {number}")
        courses = [self.lessons[0].chapter.course, self.scorm.chapter.course]
        self.batch = cohort(f"HTTP learning {number}", courses, seat_count=None)
        emails = [f"learner{i}@{DOMAIN}" for i in range(LEARNERS)]
        result = bulk_enroll(batch=self.batch, members=emails, actor=None, source=Source.API, notify=False)
        if result.created != LEARNERS:
            raise RuntimeError(f"round {number}: {result.created} of {LEARNERS} learners enrolled")

    def plans(self) -> dict:
        """label: the requests of learner i."""
        return {
            PING: lambda i: [("GET", "/bench/ping", None)] * STEPS,
            COMPLETE: lambda i: [("POST", f"/api/v1/me/lessons/{lesson.pk}/complete", None) for lesson in self.lessons],
            SCORM: lambda i: [
                (
                    "POST",
                    f"/api/v1/me/lessons/{self.scorm.pk}/scorm",
                    json.dumps({"cmi": scorm_commit(i, step)}).encode(),
                )
                for step in range(1, STEPS + 1)
            ],
        }

    def check(self, label: str) -> str | None:
        """What the database holds after the kind's burst, as committed."""
        if label == COMPLETE:
            course_id = self.lessons[0].chapter.course_id
            rows = LessonProgress.objects.filter(course_id=course_id, status=LessonStatus.COMPLETED)
            return (
                f"completed lesson rows {rows.count()} of {LEARNERS * STEPS}, "
                f"{_at_100(course_id)}, course completed events "
                f"{_completed_events(course_id)} of {LEARNERS}"
            )
        if label == SCORM:
            course_id = self.scorm.chapter.course_id
            rows = LessonProgress.objects.filter(lesson=self.scorm).select_related("member")
            exact = sum(
                row.status == LessonStatus.COMPLETED
                and row.score == Decimal(100)
                and row.scorm_data == scorm_commit(int(row.member.email.split("@")[0][7:]), STEPS)
                for row in rows
            )
            return (
                f"SCORM rows {rows.count()}, completed with the last commit's data and score {exact} of "
                f"{LEARNERS}, {_at_100(course_id)}"
            )
        return None


def _at_100(course_id: int) -> str:
    enrollments = CourseEnrollment.objects.filter(course_id=course_id, status=EnrollmentStatus.ACTIVE)
    done = enrollments.filter(progress=100, completed_at__isnull=False).count()
    return f"learners at 100% with completed_at {done} of {enrollments.count()}"


def _completed_events(course_id: int) -> int:
    name = CourseEnrollment.objects.filter(course_id=course_id).values_list("course__name", flat=True).first()
    return EnrollmentEvent.objects.filter(kind=EventType.COURSE_COMPLETED, after__course=name).count()


def _measure(server: Server, tokens: list[str]) -> tuple[dict, list[str]]:
    stats = new_stats([PING, COMPLETE, SCORM])
    checks: list[str] = []
    for number in range(ROUNDS + 1):  # round 0 warms every worker up and is not counted
        current = Round(number)
        for label, plan in current.plans().items():
            connection.close()  # SQLite: the bench holds no connection to the file while the server writes
            offset = server.log_size()
            wall, results = burst(server.port, tokens, plan)
            time.sleep(0.2)  # the workers' last log lines
            if number == 0:
                continue
            lines = server.log_since(offset)
            entry = stats[label]
            record(entry, wall, results, server.warnings_since(offset))
            entry["locked in the log"] = entry.get("locked in the log", 0) + sum(LOCKED in line for line in lines)
            check = current.check(label)
            if check:
                checks.append(f"round {number}, {label.split(',')[0]}: {check}")
    return stats, checks


def _outcomes(stats: dict, rows: list[dict]) -> list[dict]:
    """Each kind's outcomes with the answers and log lines that said `database is locked`."""
    for row in rows:
        entry = stats[row["label"]]
        answered = sum(count for outcome, count in entry["outcomes"].items() if LOCKED in outcome)
        row["outcomes"][f"'{LOCKED}' (answers + log lines)"] = answered + entry.get("locked in the log", 0)
    return rows


def _statements_per_request(tokens: list[str]) -> str:
    """Statements one request runs, counted in-process (django.test.Client, same URLs and views),
    each request alone, on a fresh round's courses: the first and the course-completing lesson,
    the first and the completing SCORM commit."""
    current = Round(ROUNDS + 1)
    scorm_path = f"/api/v1/me/lessons/{current.scorm.pk}/scorm"
    requests = [("GET /bench/ping", "GET", "/bench/ping", None)]
    requests += [
        (f"complete lesson {n}", "POST", f"/api/v1/me/lessons/{current.lessons[n - 1].pk}/complete", None)
        for n in range(1, STEPS + 1)
    ]
    requests += [
        (f"SCORM commit {step}", "POST", scorm_path, json.dumps({"cmi": scorm_commit(0, step)}).encode())
        for step in (1, 2, STEPS)
    ]
    counts = []
    with in_process() as client:
        for label, method, path, body in requests:
            status, watched = watched_request(client, (method, path, body), tokens[0], {})
            counts.append(f"{label}: {len(statements(watched))} ({status})")
    return "statements per request (in-process, one request alone, one learner): " + "; ".join(counts)


def run(database: str):
    if database not in SERVERS:
        return []
    options, task_worker = SERVERS[database]
    media = tempfile.mkdtemp(prefix="bench-media-")
    try:
        with override_settings(MEDIA_ROOT=media):  # the SCORM packages; the server reads none of them
            tokens = learners(LEARNERS, DOMAIN)
            server = Server(options, task_worker=task_worker)
            try:
                server.wait_until_serving()
                stats, checks = _measure(server, tokens)
            finally:
                server.stop()
            checks.append(_statements_per_request(tokens))
    finally:
        shutil.rmtree(media, ignore_errors=True)
    checks += warning_notes(stats)
    workers = " ".join(options).replace("--", "")
    return [
        HttpResult(
            case="HTTP course progress: 200 learners x 10 steps",
            database=database,
            setup=(
                f"gunicorn ({workers}){' and the task worker, as `make run`' if task_worker else ''}, "
                f"{database}, 127.0.0.1; {ROUNDS} rounds of {LEARNERS} concurrent learners x {STEPS} requests "
                "in sequence per kind, interleaved, after a warm-up round; req/s = requests / the burst's wall "
                "time; the client (Python threads, http.client) shares the 2 cores."
            ),
            kinds=_outcomes(stats, summary(stats, {"x_get": PING})),
            notes=checks,
        )
    ]
