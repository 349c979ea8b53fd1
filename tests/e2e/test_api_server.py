"""The API over a real server process: gunicorn on 127.0.0.1 against the test's PostgreSQL database.

200 learners, each with their own API token, ask for one of 50 seats at the same moment: exactly
50 get a `201` and the other 150 a `409 cohort_full`, and the cohort holds exactly 50 enrollments.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from urllib.parse import quote

import pytest
import requests
from django.conf import settings

from smoothlms.catalog.models import Batch
from smoothlms.catalog.tests.factories import BatchFactory, CourseFactory
from smoothlms.core.testing import run_in_threads
from smoothlms.enrollment.models import BatchEnrollment, EnrollmentStatus
from smoothlms.people.services import issue_api_key
from smoothlms.people.tests.factories import UserFactory

ROOT = Path(__file__).resolve().parents[2]
LEARNERS, SEATS = 200, 50

pytestmark = [pytest.mark.server, pytest.mark.django_db(transaction=True)]


def _database_url() -> str:
    """The test database (pytest-django has already renamed NAME to it), as a DATABASE_URL."""
    db = settings.DATABASES["default"]
    credentials = quote(db["USER"], safe="") + (f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else "")
    return f"postgres://{credentials}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{quote(db['NAME'])}"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_serving(process: subprocess.Popen, url: str, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"gunicorn exited with {process.returncode}:\n{log.read_text()[-4000:]}")
        try:
            if requests.get(url, timeout=10).status_code == 401:  # the whole stack answers, no data needed
                return
        except requests.RequestException:  # not listening yet, or busy loading
            pass
        time.sleep(0.2)
    pytest.fail(f"gunicorn did not answer {url} within {timeout:.0f}s:\n{log.read_text()[-4000:]}")


@pytest.fixture(scope="module")
def server(django_db_setup, tmp_path_factory):
    """Base URL of a gunicorn serving the project on a free port, against the test database."""
    if not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        pytest.skip("the concurrent server test runs on PostgreSQL (DATABASE_URL=postgres://...)")
    port = _free_port()
    log = tmp_path_factory.mktemp("gunicorn") / "gunicorn.log"
    # A deployment's environment: only what it would set, pointed at the test database.
    env = {name: os.environ[name] for name in ("PATH", "HOME", "SECRET_KEY", "SMOOTHLMS_VAR_DIR") if name in os.environ}
    env.update(DATABASE_URL=_database_url(), DEBUG="false", ALLOWED_HOSTS="127.0.0.1", LOG_LEVEL="WARNING")
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "smoothlms.config.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "4",
        "--worker-class",
        "gthread",
        "--threads",
        "6",
        "--timeout",
        "60",
    ]
    with log.open("w") as output:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}/api/v1"
        _wait_until_serving(process, f"{base}/batches", log)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def test_200_learners_race_for_50_seats(server):
    batch = BatchFactory(seat_count=SEATS, courses=[CourseFactory()])
    tokens = [issue_api_key(user=UserFactory()) for _ in range(LEARNERS)]
    outcomes: list[tuple[int, str]] = []

    def attempt(token: str) -> None:  # each thread: its own learner, connection and request
        response = requests.post(
            f"{server}/batches/{batch.name}/enroll", headers={"Authorization": f"token {token}"}, timeout=120
        )
        body = response.json()
        outcomes.append((response.status_code, body["error"]["code"] if "error" in body else body["data"]["status"]))

    run_in_threads(attempt, tokens, timeout=180)

    assert Counter(outcomes) == {(201, "active"): SEATS, (409, "cohort_full"): LEARNERS - SEATS}
    batch = Batch.objects.get(pk=batch.pk)
    assert batch.seats_taken == SEATS
    assert BatchEnrollment.objects.filter(batch=batch, status=EnrollmentStatus.ACTIVE).count() == SEATS


def test_errors_and_docs_over_the_server(server):
    batch = BatchFactory()
    refused = requests.post(f"{server}/batches/{batch.name}/enroll", timeout=30)
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "not_authenticated"
    token = issue_api_key(user=UserFactory())
    bad_json = requests.post(
        f"{server}/batches/{batch.name}/enroll",
        data="{oops",
        headers={"Authorization": f"token {token}", "Content-Type": "application/json"},
        timeout=30,
    )
    assert bad_json.status_code == 400 and bad_json.json()["error"]["code"] == "bad_request"
    docs = requests.get(f"{server}/docs", timeout=30)
    assert docs.status_code == 200 and "swagger-ui-bundle.js" in docs.text
    assert requests.get(f"{server}/docs/assets/swagger-ui-bundle.js", timeout=30).status_code == 200
