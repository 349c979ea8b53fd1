"""Self-enrollment over HTTP (PostgreSQL only): gunicorn, 4 workers (gthread, 6 threads each, as in
tests/e2e/test_api_server.py), on 127.0.0.1 against the benchmark database. 200 learners, each
with their own API token, ask at the same moment for one of 50 seats of a fresh cohort
(`POST /api/v1/batches/{name}/enroll`). Compared, on the same server in the same run, with 200
concurrent trivial authenticated requests (GET and POST /bench/ping, bench/server/urls.py) and a
real read (`GET /api/v1/batches/{name}`). Rounds are interleaved; each round's burst opens 200
connections at once (connect included), like 200 separate clients.

Reported per request kind: req/s (200 / the burst's wall time, median of the rounds), p50 and p99
latency over every request, the ratio to the trivial GET, exact outcome counts, and the log lines
at WARNING or above the server wrote during the bursts. After each enrollment round the cohort is
checked: seats taken and active enrollments both exactly 50 (oversold = active beyond the seats).
The same burst into a 50-seat cohort with its waitlist on: every request answers 201, exactly 50
active and 150 waitlisted with distinct positions 1-150, no error."""

from __future__ import annotations

import datetime as dt
import http.client
import json
import logging
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.contrib.auth.models import Group
from django.test import Client, override_settings
from django.utils import timezone

from bench.capture import Phases, phases
from bench.harness import scale
from smoothlms.catalog.models import Batch
from smoothlms.catalog.services import create_batch, create_course
from smoothlms.enrollment.models import BatchEnrollment, EnrollmentStatus
from smoothlms.enrollment.selectors import list_waitlist
from smoothlms.people.models import User
from smoothlms.people.services import issue_api_key

ROOT = Path(__file__).resolve().parents[2]
LEARNERS, SEATS = 200, 50
ROUNDS = 5 if scale() >= 1 else 1
WORKERS, THREADS = 4, 6
REQUEST_TIMEOUT = 60  # seconds, per request
START_TIMEOUT = 90  # seconds for gunicorn to answer


def _database_url() -> str:
    db = settings.DATABASES["default"]
    credentials = quote(db["USER"], safe="") + (f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else "")
    return f"postgres://{credentials}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{quote(db['NAME'])}"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """gunicorn serving the project (with the bench's ping endpoints) on a free loopback port."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.log = Path(tempfile.mkstemp(prefix="bench-gunicorn-", suffix=".log")[1])
        env = {
            name: os.environ[name] for name in ("PATH", "HOME", "SECRET_KEY", "SMOOTHLMS_VAR_DIR") if name in os.environ
        }
        env.update(
            DATABASE_URL=_database_url(),
            DEBUG="false",
            ALLOWED_HOSTS="127.0.0.1",
            LOG_LEVEL="WARNING",
            DJANGO_SETTINGS_MODULE="bench.server.settings",
            PYTHONPATH=str(ROOT),
        )
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "smoothlms.config.wsgi:application",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(WORKERS),
            "--worker-class",
            "gthread",
            "--threads",
            str(THREADS),
            "--timeout",
            str(REQUEST_TIMEOUT),
        ]
        with self.log.open("w") as output:
            self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)

    def wait_until_serving(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}:\n{self.log.read_text()[-3000:]}")
            try:
                if _request(self.port, "GET", "/bench/ping", {})[0] == 401:  # the whole stack answers
                    return
            except OSError:  # not listening yet
                pass
            time.sleep(0.25)
        raise RuntimeError(f"gunicorn did not answer within {START_TIMEOUT}s:\n{self.log.read_text()[-3000:]}")

    def log_size(self) -> int:
        return self.log.stat().st_size

    def warnings_since(self, offset: int) -> list[str]:
        """The log lines at WARNING or above written after `offset`."""
        with self.log.open() as log:
            log.seek(offset)
            return [
                line.strip() for line in log if any(f" {level} " in line for level in ("WARNING", "ERROR", "CRITICAL"))
            ]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self.log.unlink(missing_ok=True)


def _request(port: int, method: str, path: str, headers: dict, body: bytes | None = None) -> tuple[int, str]:
    client = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT)
    try:
        client.request(method, path, body=body, headers=headers)
        response = client.getresponse()
        data = response.read()
    finally:
        client.close()
    code = ""
    if response.status >= 400 and data:
        try:
            code = json.loads(data).get("error", {}).get("code", "")
        except (ValueError, AttributeError):
            code = ""
    return response.status, code


def _burst(port: int, method: str, paths: list[str], tokens: list[str], body: bytes | None) -> tuple[float, list]:
    """One request per token, all released together: (wall seconds, [(outcome, seconds)])."""
    barrier = threading.Barrier(len(tokens) + 1)
    results: list = [None] * len(tokens)

    def one(i: int) -> None:
        headers = {"Authorization": f"token {tokens[i]}"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        barrier.wait(timeout=REQUEST_TIMEOUT)
        started = time.perf_counter()
        try:
            status, code = _request(port, method, paths[i % len(paths)], headers, body)
            outcome = f"{status} {code}".strip()
        except OSError as exc:
            outcome = f"failed: {type(exc).__name__}"
        results[i] = (outcome, time.perf_counter() - started)

    # Daemons: a burst cut short (Ctrl-C) must not keep the process waiting on its threads.
    threads = [threading.Thread(target=one, args=(i,), daemon=True) for i in range(len(tokens))]
    for thread in threads:
        thread.start()
    barrier.wait(timeout=REQUEST_TIMEOUT)
    started = time.perf_counter()
    for thread in threads:
        thread.join(REQUEST_TIMEOUT + 30)
    wall = time.perf_counter() - started
    if any(thread.is_alive() for thread in threads):
        raise RuntimeError("a request did not finish in time")
    return wall, results


def _learners() -> list[str]:
    now = timezone.now()
    User.objects.bulk_create(
        [User(email=f"learner{i}@http.example.com", password="!", created_at=now) for i in range(LEARNERS)]
    )
    users = list(User.objects.filter(email__endswith="@http.example.com").order_by("pk"))
    student = Group.objects.get(name="LMS Student")
    User.groups.through.objects.bulk_create([User.groups.through(user_id=u.pk, group_id=student.pk) for u in users])
    return [issue_api_key(user=user) for user in users]


def _cohort(title: str, course, *, waitlist: bool = False) -> Batch:
    start = timezone.localdate() + dt.timedelta(days=30)
    return create_batch(
        title=title,
        start_date=start,
        start_time=dt.time(9),
        end_date=start + dt.timedelta(days=5),
        end_time=dt.time(17),
        timezone="Europe/Berlin",
        seat_count=SEATS,
        published=True,
        allow_self_enrollment=True,
        waitlist_enabled=waitlist,
        courses=[course],
        actor=None,
    )


def _kinds(reference: Batch) -> dict:
    """label: (method, paths for this round, body)."""
    return {
        "GET /bench/ping (trivial, authenticated)": lambda _: ("GET", ["/bench/ping"], None),
        "POST /bench/ping (trivial, authenticated, JSON body)": lambda _: ("POST", ["/bench/ping"], b'{"value": "x"}'),
        "GET /api/v1/batches/{name} (a real read)": lambda _: ("GET", [f"/api/v1/batches/{reference.name}"], None),
        "POST /api/v1/batches/{name}/enroll (self-enrollment, 50 seats)": lambda batch: (
            "POST",
            [f"/api/v1/batches/{batch.name}/enroll"],
            None,
        ),
        WAITLIST_LABEL: lambda batch: ("POST", [f"/api/v1/batches/{batch.name}/enroll"], None),
    }


WAITLIST_LABEL = "POST /api/v1/batches/{name}/enroll (self-enrollment, 50 seats, waitlist on)"
ENROLL_LABELS = ("POST /api/v1/batches/{name}/enroll (self-enrollment, 50 seats)", WAITLIST_LABEL)


def _check_waitlist(batch: Batch) -> str:
    """Active, waitlisted, and whether the waitlist positions are exactly 1..N, as committed."""
    rows = BatchEnrollment.objects.filter(batch=batch)
    active = rows.filter(status=EnrollmentStatus.ACTIVE).count()
    waiting = rows.filter(status=EnrollmentStatus.WAITLISTED).order_by("waitlisted_at", "pk")
    positions = list(list_waitlist(batch=batch).values_list("waitlist_position", flat=True))
    batch.refresh_from_db()
    return (
        f"seats taken {batch.seats_taken}, active {active}, waitlisted {waiting.count()}, positions 1-"
        f"{len(positions)} exact: {positions == list(range(1, len(positions) + 1))}"
    )


def _check_cohort(batch: Batch) -> tuple[int, int]:
    """(seats taken, active enrollments) as committed."""
    batch.refresh_from_db()
    return batch.seats_taken, BatchEnrollment.objects.filter(batch=batch, status=EnrollmentStatus.ACTIVE).count()


def _measure(server: Server, tokens: list[str]) -> tuple[dict, list[str]]:
    course = create_course(title="HTTP course", published=True, actor=None)
    reference = _cohort("HTTP reference", course)
    kinds = _kinds(reference)
    stats = {label: {"rps": [], "latencies": [], "outcomes": Counter(), "warnings": []} for label in kinds}
    checks: list[str] = []
    for number in range(ROUNDS + 1):  # round 0 warms every worker up and is not counted
        for label, make in kinds.items():
            batch = (
                _cohort(f"HTTP round {number} {label[-12:]}", course, waitlist=label == WAITLIST_LABEL)
                if label in ENROLL_LABELS
                else None
            )
            method, paths, body = make(batch)
            offset = server.log_size()
            wall, results = _burst(server.port, method, paths, tokens, body)
            time.sleep(0.2)  # the workers' last log lines
            if number == 0:
                continue
            entry = stats[label]
            entry["rps"].append(len(results) / wall)
            entry["latencies"] += [seconds for _, seconds in results]
            entry["outcomes"].update(outcome for outcome, _ in results)
            entry["warnings"] += server.warnings_since(offset)
            if label == WAITLIST_LABEL:
                checks.append(f"round {number}, waitlist on: {_check_waitlist(batch)}")
            elif batch is not None:
                taken, active = _check_cohort(batch)
                checks.append(
                    f"round {number}: seats taken {taken}, active enrollments {active}, "
                    f"oversold {max(0, active - SEATS)}"
                )
    return stats, checks


def _summary(stats: dict) -> list[dict]:
    get_rps = statistics.median(next(iter(stats.values()))["rps"])
    post_rps = statistics.median(list(stats.values())[1]["rps"])
    rows = []
    for label, entry in stats.items():
        latencies = sorted(entry["latencies"])
        rps = statistics.median(entry["rps"])
        failures = sum(count for outcome, count in entry["outcomes"].items() if outcome.startswith(("5", "failed")))
        outcomes = dict(sorted(entry["outcomes"].items()))
        outcomes["5xx or no answer"] = failures
        outcomes["WARNING+ log lines"] = len(entry["warnings"])
        rows.append(
            {
                "label": label,
                "requests": len(latencies),
                "rps": round(rps, 1),
                "p50_ms": round(latencies[len(latencies) // 2] * 1000, 1),
                "p99_ms": round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000, 1),
                "x_get": round(rps / get_rps, 2),
                "x_post": round(rps / post_rps, 2),
                "outcomes": outcomes,
            }
        )
    return rows


def _lock_hold(log: list) -> str:
    """From the first statement that locks the cohort row (FOR UPDATE, or the seat UPDATE) to COMMIT."""
    first = next((i for i, entry in enumerate(log) if entry[0] == "lock"), None)
    commit = next((i for i, entry in enumerate(log) if entry[0] == "commit"), None)
    if commit is None:
        return "no COMMIT: refused, rolled back"
    if first is None or commit < first:
        return "no statement locked the cohort row before COMMIT"
    held = [entry[1] for entry in log[first + 1 : commit]]
    return (
        f"cohort row locked by `{log[first][1]}` for {(log[commit][3] - log[first][2]) * 1000:.1f} ms until "
        f"COMMIT, {len(held)} statements in between ({', '.join(held) or 'none'})"
    )


def _statements_per_request(tokens: list[str], course) -> list[str]:
    """Statements one request runs, counted in-process (django.test.Client, same URLs and views),
    each request alone; for the enrollments also the statements run while the cohort row is locked."""
    batch = _cohort("HTTP statements", course)
    full = _cohort("HTTP statements full", course)
    Batch.objects.filter(pk=full.pk).update(seat_count=0)
    client = Client()
    requests = [
        ("GET /bench/ping", "GET", "/bench/ping", tokens[0]),
        ("GET /api/v1/batches/{name}", "GET", f"/api/v1/batches/{batch.name}", tokens[0]),
        ("self-enrollment 201", "POST", f"/api/v1/batches/{batch.name}/enroll", tokens[0]),
        ("self-enrollment 409 cohort_full", "POST", f"/api/v1/batches/{full.name}/enroll", tokens[1]),
    ]
    counts, details = [], []
    # Django logs every 4xx at WARNING (django.request): counted over HTTP already, not printed here.
    request_log = logging.getLogger("django.request")
    level = request_log.level
    request_log.setLevel(logging.ERROR)
    try:
        with override_settings(ROOT_URLCONF="bench.server.urls"):
            for label, method, path, token in requests:
                watched = Phases(log=[])
                with phases(watched, {Batch._meta.db_table: "lock"}):
                    response = client.generic(method, path, HTTP_AUTHORIZATION=f"token {token}")
                statements = [entry[1] for entry in watched.log if entry[0] != "commit"]
                counts.append(f"{label}: {len(statements)} ({response.status_code})")
                if method == "POST":
                    details.append(f"{label}: {' > '.join(entry[1] for entry in watched.log)}")
                    details.append(f"{label}: {_lock_hold(watched.log)}")
    finally:
        request_log.setLevel(level)
    return [
        "statements per request (in-process, django.test.Client, one request alone, the task enqueued "
        "after commit included): " + "; ".join(counts),
        *details,
    ]


def run(database: str):
    if database != "postgresql":
        return []
    tokens = _learners()
    server = Server()
    try:
        server.wait_until_serving()
        stats, checks = _measure(server, tokens)
    finally:
        server.stop()
    checks += _statements_per_request(tokens, create_course(title="HTTP statements course", published=True, actor=None))
    for label, entry in stats.items():
        if entry["warnings"]:
            checks.append(
                f"{label}: {len(entry['warnings'])} log lines at WARNING or above, e.g. `{entry['warnings'][0][:160]}`"
            )
    return [
        HttpResult(
            case="HTTP self-enrollment: 200 learners, 50 seats",
            database=database,
            setup=(
                f"gunicorn {WORKERS} workers x {THREADS} threads (gthread), PostgreSQL, 127.0.0.1; "
                f"{ROUNDS} rounds of {LEARNERS} concurrent requests per kind, interleaved, after a "
                "warm-up round; the client (Python threads, http.client) shares the 2 cores."
            ),
            kinds=_summary(stats),
            notes=checks,
        )
    ]


class HttpResult:
    def __init__(self, **fields) -> None:
        self.fields = {"kind": "http", **fields}

    def as_dict(self) -> dict:
        return self.fields
