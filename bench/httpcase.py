"""What the over-HTTP cases share: a gunicorn server on a free loopback port against the benchmark
database (with the bench's ping endpoints, bench/server/urls.py), learners with API tokens, bursts
of concurrent clients (each a thread with its own connections, released together), and the summary
of a burst kind: req/s (median of the rounds), p50 and p99 over every request, ratios to reference
kinds measured on the same server in the same run, exact outcome counts and the WARNING+ log lines.

A request's outcome is its status and error code (`409 cohort_full`), `500 database is locked`
when the answer or its error says so, or `failed: <exception>` without an answer."""

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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.contrib.auth.models import Group
from django.test import Client, override_settings
from django.utils import timezone

from bench.capture import Phases, phases
from smoothlms.catalog.models import Batch
from smoothlms.catalog.services import create_batch
from smoothlms.people.models import User
from smoothlms.people.services import issue_api_key

ROOT = Path(__file__).resolve().parents[1]
REQUEST_TIMEOUT = 60  # seconds, per request
START_TIMEOUT = 90  # seconds for gunicorn to answer
LOCKED = "database is locked"

# One request of a client: (method, path, JSON body or None).
Request = tuple[str, str, bytes | None]


def database_url() -> str:
    """The benchmark database (the child's test database) as a DATABASE_URL for the server."""
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    credentials = quote(db["USER"], safe="") + (f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else "")
    return f"postgres://{credentials}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{quote(db['NAME'])}"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """gunicorn serving the project (with the bench's ping endpoints) on a free loopback port, with
    `options` (workers, threads, worker class) on the command line; `task_worker` starts the task
    worker beside it, as `make run` does. Both write into one log."""

    def __init__(self, options: list[str], *, task_worker: bool = False) -> None:
        self.port = _free_port()
        self.log = Path(tempfile.mkstemp(prefix="bench-gunicorn-", suffix=".log")[1])
        env = {
            name: os.environ[name] for name in ("PATH", "HOME", "SECRET_KEY", "SMOOTHLMS_VAR_DIR") if name in os.environ
        }
        env.update(
            DATABASE_URL=database_url(),
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
            "--timeout",
            str(REQUEST_TIMEOUT),
            *options,
        ]
        self.processes = []
        with self.log.open("w") as output:
            self.processes.append(subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT))
            if task_worker:
                worker = [str(Path(sys.executable).parent / "smoothlms"), "worker"]
                self.processes.append(subprocess.Popen(worker, cwd=ROOT, env=env, stdout=output, stderr=output))

    def wait_until_serving(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            for process in self.processes:
                if process.poll() is not None:
                    raise RuntimeError(f"{process.args[:3]} exited with {process.returncode}:\n{self.tail()}")
            try:
                if request(self.port, "GET", "/bench/ping", {})[0] == 401:  # the whole stack answers
                    return
            except OSError:  # not listening yet
                pass
            time.sleep(0.25)
        raise RuntimeError(f"gunicorn did not answer within {START_TIMEOUT}s:\n{self.tail()}")

    def tail(self) -> str:
        return self.log.read_text()[-3000:]

    def log_size(self) -> int:
        return self.log.stat().st_size

    def log_since(self, offset: int) -> list[str]:
        with self.log.open() as log:
            log.seek(offset)
            return [line.strip() for line in log]

    def warnings_since(self, offset: int) -> list[str]:
        """The log lines at WARNING or above written after `offset`."""
        return [
            line
            for line in self.log_since(offset)
            if any(f" {level} " in line for level in ("WARNING", "ERROR", "CRITICAL"))
        ]

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        self.log.unlink(missing_ok=True)


def request(port: int, method: str, path: str, headers: dict, body: bytes | None = None) -> tuple[int, str]:
    """(status, error code) of one request on a connection of its own."""
    client = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT)
    try:
        client.request(method, path, body=body, headers=headers)
        response = client.getresponse()
        data = response.read()
    finally:
        client.close()
    code = ""
    if response.status >= 400 and data:
        if LOCKED.encode() in data:
            return response.status, LOCKED
        try:
            code = json.loads(data).get("error", {}).get("code", "")
        except (ValueError, AttributeError):
            code = ""
    return response.status, code


def burst(port: int, tokens: list[str], requests_of: Callable[[int], list[Request]]) -> tuple[float, list]:
    """One client per token, all released together, each sending its requests (`requests_of(i)`)
    one after the other: (wall seconds until the last answer, [(outcome, seconds)] per request)."""
    barrier = threading.Barrier(len(tokens) + 1)
    results: list[list] = [[] for _ in tokens]
    plans = [requests_of(i) for i in range(len(tokens))]

    def one(i: int) -> None:
        barrier.wait(timeout=REQUEST_TIMEOUT)
        for method, path, body in plans[i]:
            headers = {"Authorization": f"token {tokens[i]}"}
            if body is not None:
                headers["Content-Type"] = "application/json"
            started = time.perf_counter()
            try:
                status, code = request(port, method, path, headers, body)
                outcome = f"{status} {code}".strip()
            except OSError as exc:
                outcome = f"failed: {type(exc).__name__}"
            results[i].append((outcome, time.perf_counter() - started))

    # Daemons: a burst cut short (Ctrl-C) must not keep the process waiting on its threads.
    threads = [threading.Thread(target=one, args=(i,), daemon=True) for i in range(len(tokens))]
    for thread in threads:
        thread.start()
    barrier.wait(timeout=REQUEST_TIMEOUT)
    started = time.perf_counter()
    longest = REQUEST_TIMEOUT * max(len(plan) for plan in plans) + 30
    for thread in threads:
        thread.join(max(1.0, longest - (time.perf_counter() - started)))
    wall = time.perf_counter() - started
    if any(thread.is_alive() for thread in threads):
        raise RuntimeError("a request did not finish in time")
    return wall, [entry for client in results for entry in client]


def learners(count: int, domain: str) -> list[str]:
    """`count` LMS Students learner0@domain... (in that order), each with an API token: the tokens."""
    now = timezone.now()
    User.objects.bulk_create([User(email=f"learner{i}@{domain}", password="!", created_at=now) for i in range(count)])
    users = list(User.objects.filter(email__endswith=f"@{domain}").order_by("pk"))
    student = Group.objects.get(name="LMS Student")
    User.groups.through.objects.bulk_create([User.groups.through(user_id=u.pk, group_id=student.pk) for u in users])
    return [issue_api_key(user=user) for user in users]


def cohort(title: str, courses: list, **fields) -> Batch:
    """A published cohort starting in 30 days (9:00-17:00, 5 days, Europe/Berlin) with `courses`."""
    start = timezone.localdate() + dt.timedelta(days=30)
    return create_batch(
        title=title,
        start_date=start,
        start_time=dt.time(9),
        end_date=start + dt.timedelta(days=5),
        end_time=dt.time(17),
        timezone="Europe/Berlin",
        published=True,
        courses=courses,
        actor=None,
        **fields,
    )


@contextmanager
def in_process() -> Iterator[Client]:
    """A django.test.Client on the server's URLs (same views) for requests counted in-process.
    Django logs every 4xx at WARNING (django.request): counted over HTTP already, not printed here."""
    request_log = logging.getLogger("django.request")
    level = request_log.level
    request_log.setLevel(logging.ERROR)
    try:
        with override_settings(ROOT_URLCONF="bench.server.urls"):
            yield Client()
    finally:
        request_log.setLevel(level)


def watched_request(client: Client, one: Request, token: str, tables: dict[str, str]) -> tuple[int, Phases]:
    """(status, every statement it ran) of one request through `client` (see `in_process`)."""
    method, path, body = one
    watched = Phases(log=[])
    with phases(watched, tables):
        if body is None:
            response = client.generic(method, path, HTTP_AUTHORIZATION=f"token {token}")
        else:
            response = client.generic(
                method, path, body, content_type="application/json", HTTP_AUTHORIZATION=f"token {token}"
            )
    return response.status_code, watched


def statements(watched: Phases) -> list[str]:
    return [entry[1] for entry in watched.log if entry[0] != "commit"]


def new_stats(labels) -> dict:
    return {label: {"rps": [], "latencies": [], "outcomes": Counter(), "warnings": []} for label in labels}


def record(entry: dict, wall: float, results: list, warnings: list[str]) -> None:
    """Add one counted burst to a kind's figures."""
    entry["rps"].append(len(results) / wall)
    entry["latencies"] += [seconds for _, seconds in results]
    entry["outcomes"].update(outcome for outcome, _ in results)
    entry["warnings"] += warnings


def summary(stats: dict, references: dict[str, str]) -> list[dict]:
    """One row per kind; `references` {column: label}: each kind's req/s over that kind's."""
    reference_rps = {column: statistics.median(stats[label]["rps"]) for column, label in references.items()}
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
                **{column: round(rps / reference, 2) for column, reference in reference_rps.items()},
                "outcomes": outcomes,
            }
        )
    return rows


def warning_notes(stats: dict) -> list[str]:
    return [
        f"{label}: {len(entry['warnings'])} log lines at WARNING or above, e.g. `{entry['warnings'][0][:160]}`"
        for label, entry in stats.items()
        if entry["warnings"]
    ]


class HttpResult:
    def __init__(self, **fields) -> None:
        self.fields = {"kind": "http", **fields}

    def as_dict(self) -> dict:
        return self.fields
