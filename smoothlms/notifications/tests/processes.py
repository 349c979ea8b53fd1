"""Running real `smoothlms worker` processes against the test database, for end-to-end tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import zlib
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

from django.db import connection

SMOOTHLMS = str(Path(sys.executable).parent / "smoothlms")
ROOT = Path(__file__).resolve().parents[3]
DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
RQ_TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}


def database_url() -> str:
    """DATABASE_URL of the database this test runs on (the test database, not the configured one)."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    scheme = "postgres" if "postgresql" in db["ENGINE"] else "mysql"
    port = db.get("PORT") or (5432 if scheme == "postgres" else 3306)
    credentials = f"{quote(db['USER'] or '', safe='')}:{quote(db['PASSWORD'] or '', safe='')}@"
    return f"{scheme}://{credentials}{db.get('HOST') or '127.0.0.1'}:{port}/{db['NAME']}"


def redis_url() -> str:
    """A Redis database of its own for this test database (runs on several databases may overlap)."""
    # Two per backend (8-13), so the three runs of `make test`, side by side, never share one.
    base = {"sqlite": 8, "postgresql": 10, "mysql": 12}[connection.vendor]
    number = base + zlib.crc32(str(connection.settings_dict["NAME"]).encode()) % 2
    return f"redis://127.0.0.1:6379/{number}"


def worker_env(*, email_url: str, redis: str | None = None) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"REDIS_URL", "SMOOTHLMS_TASKS", "SMOOTHLMS_TESTING", "EMAIL_URL", "DATABASE_URL"}
    }
    env.update(
        DATABASE_URL=database_url(),
        EMAIL_URL=email_url,
        SITE_URL="http://testserver",
        DJANGO_SETTINGS_MODULE="smoothlms.config.settings",
        LOG_LEVEL="WARNING",
        DEBUG="false",
    )
    if redis:
        env["REDIS_URL"] = redis
    return env


def run_worker(args: list[str], *, env: dict[str, str], timeout: float = 90) -> subprocess.CompletedProcess:
    return subprocess.run(
        [SMOOTHLMS, "worker", *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False
    )


def start_worker(args: list[str], *, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [SMOOTHLMS, "worker", *args], env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def kill_hard(process: subprocess.Popen) -> None:
    """SIGKILL the worker and every process under it (RQ's work horse runs in a process group of
    its own): no handler runs, nothing is cleaned up, as when a machine dies."""
    # The parent first, so that it cannot fork a new child meanwhile; its children, found before.
    for pid in [process.pid, *_descendants(process.pid)]:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    process.wait(timeout=10)


def _descendants(root: int) -> list[int]:
    """Children, grandchildren, ... of `root`, read from /proc (Linux)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = [], [root]
    while frontier:
        children = [pid for pid, parent in parents.items() if parent in frontier]
        found.extend(children)
        frontier = children
    return found


def wait_for(condition: Callable[[], bool], *, timeout: float, what: str, process: subprocess.Popen | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        if process is not None and process.poll() is not None:
            raise AssertionError(f"the worker exited ({process.returncode}) before {what}:\n{process.stdout.read()}")
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")
