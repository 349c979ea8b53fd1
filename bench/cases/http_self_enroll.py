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

import time

from bench.harness import scale
from bench.httpcase import (
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
from smoothlms.catalog.models import Batch
from smoothlms.catalog.services import create_course
from smoothlms.enrollment.models import BatchEnrollment, EnrollmentStatus
from smoothlms.enrollment.selectors import list_waitlist

LEARNERS, SEATS = 200, 50
WARM, TIMED = 10, 100  # in-process timing: requests before timing, requests timed (each its own learner)
ROUNDS = 5 if scale() >= 1 else 1
WORKERS, THREADS = 4, 6
SERVER_OPTIONS = ["--workers", str(WORKERS), "--worker-class", "gthread", "--threads", str(THREADS)]


def _cohort(title: str, course, *, waitlist: bool = False) -> Batch:
    return cohort(title, [course], seat_count=SEATS, allow_self_enrollment=True, waitlist_enabled=waitlist)


def _kinds(reference: Batch) -> dict:
    """label: (method, paths for this round, body)."""
    return {
        GET_LABEL: lambda _: ("GET", ["/bench/ping"], None),
        POST_LABEL: lambda _: ("POST", ["/bench/ping"], b'{"value": "x"}'),
        "GET /api/v1/batches/{name} (a real read)": lambda _: ("GET", [f"/api/v1/batches/{reference.name}"], None),
        "POST /api/v1/batches/{name}/enroll (self-enrollment, 50 seats)": lambda batch: (
            "POST",
            [f"/api/v1/batches/{batch.name}/enroll"],
            None,
        ),
        WAITLIST_LABEL: lambda batch: ("POST", [f"/api/v1/batches/{batch.name}/enroll"], None),
    }


GET_LABEL = "GET /bench/ping (trivial, authenticated)"
POST_LABEL = "POST /bench/ping (trivial, authenticated, JSON body)"
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
    stats = new_stats(kinds)
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
            plan = [(method, path, body) for path in paths]
            wall, results = burst(server.port, tokens, lambda i, plan=plan: [plan[i % len(plan)]])
            time.sleep(0.2)  # the workers' last log lines
            if number == 0:
                continue
            record(stats[label], wall, results, server.warnings_since(offset))
            if label == WAITLIST_LABEL:
                checks.append(f"round {number}, waitlist on: {_check_waitlist(batch)}")
            elif batch is not None:
                taken, active = _check_cohort(batch)
                checks.append(
                    f"round {number}: seats taken {taken}, active enrollments {active}, "
                    f"oversold {max(0, active - SEATS)}"
                )
    return stats, checks


def _lock_hold(log: list) -> str:
    """From the first statement that locks the cohort row (FOR UPDATE, or the seat UPDATE) to COMMIT,
    or, for a statement run in autocommit (no COMMIT follows it), while that statement runs."""
    first = next((i for i, entry in enumerate(log) if entry[0] == "lock"), None)
    if first is None:
        return "the cohort row is not locked (no transaction is opened)"
    commit = next((i for i in range(first, len(log)) if log[i][0] == "commit"), None)
    if commit is None:
        return (
            f"cohort row locked by `{log[first][1]}` while it runs, {(log[first][3] - log[first][2]) * 1000:.1f} ms: "
            "one statement in autocommit, which commits itself"
        )
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
    requests = [
        ("GET /bench/ping", "GET", "/bench/ping", tokens[0]),
        ("GET /api/v1/batches/{name}", "GET", f"/api/v1/batches/{batch.name}", tokens[0]),
        ("self-enrollment 201", "POST", f"/api/v1/batches/{batch.name}/enroll", tokens[0]),
        ("self-enrollment 409 cohort_full", "POST", f"/api/v1/batches/{full.name}/enroll", tokens[1]),
    ]
    counts, details = [], []
    with in_process() as client:
        for label, method, path, token in requests:
            status, watched = watched_request(client, (method, path, None), token, {Batch._meta.db_table: "lock"})
            counts.append(f"{label}: {len(statements(watched))} ({status})")
            if method == "POST":
                details.append(f"{label}: {' > '.join(entry[1] for entry in watched.log)}")
                details.append(f"{label}: {_lock_hold(watched.log)}")
    return [
        "statements per request (in-process, django.test.Client, one request alone, the task enqueued "
        "after commit included): " + "; ".join(counts),
        *details,
    ]


def _time_per_request(tokens: list[str], course) -> list[str]:
    """Where one request's time goes, in-process (django.test.Client, same views), one request at a
    time, median of TIMED: the whole request, the part inside its statements (Django's cursor
    wrapper, the driver and the database's answer) and COMMIT, and the rest (Python: middleware,
    authentication, the API, the engine). What a request costs beyond the trivial GET is this
    table's difference; over HTTP the server shares the 2 cores with PostgreSQL and the client."""
    import statistics

    seats = cohort("HTTP timing", [course], seat_count=None, allow_self_enrollment=True)
    full = cohort("HTTP timing full", [course], seat_count=0, allow_self_enrollment=True)
    kinds = [
        ("GET /bench/ping", lambda i: ("GET", "/bench/ping", None)),
        ("self-enrollment 409 cohort_full", lambda i: ("POST", f"/api/v1/batches/{full.name}/enroll", None)),
        ("self-enrollment 201", lambda i: ("POST", f"/api/v1/batches/{seats.name}/enroll", None)),
    ]
    lines = []
    with in_process() as client:
        for label, request in kinds:
            totals, inside, counts = [], [], []
            for i in range(TIMED + WARM):
                status, watched = watched_request(client, request(i), tokens[i], {Batch._meta.db_table: "lock"})
                assert status in (200, 201, 409), status
                if i >= WARM:
                    totals.append(watched.total * 1000)
                    inside.append(sum(watched.db_seconds.values()) * 1000)
                    counts.append(sum(watched.statements.values()))
            total, db, count = statistics.median(totals), statistics.median(inside), statistics.median(counts)
            lines.append(
                f"{label}: {total:.2f} ms, of which {db:.2f} ms in its {count:.0f} statements, COMMIT included "
                f"({db / max(count, 1):.2f} ms each), and {total - db:.2f} ms in Python"
            )
    return [f"time per request (in-process, one at a time, median of {TIMED}): " + "; ".join(lines)]


def run(database: str):
    if database != "postgresql":
        return []
    tokens = learners(LEARNERS, "http.example.com")
    server = Server(SERVER_OPTIONS)
    try:
        server.wait_until_serving()
        stats, checks = _measure(server, tokens)
    finally:
        server.stop()
    course = create_course(title="HTTP statements course", published=True, actor=None)
    checks += _statements_per_request(tokens, course)
    checks += _time_per_request(tokens, course)
    checks += warning_notes(stats)
    return [
        HttpResult(
            case="HTTP self-enrollment: 200 learners, 50 seats",
            database=database,
            setup=(
                f"gunicorn {WORKERS} workers x {THREADS} threads (gthread), PostgreSQL, 127.0.0.1; "
                f"{ROUNDS} rounds of {LEARNERS} concurrent requests per kind, interleaved, after a "
                "warm-up round; the client (Python threads, http.client) shares the 2 cores."
            ),
            kinds=summary(stats, {"x_get": GET_LABEL, "x_post": POST_LABEL}),
            notes=checks,
        )
    ]
