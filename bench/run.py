"""`make bench`: every case on SQLite, PostgreSQL and MariaDB (each when reachable; MariaDB also
needs its driver), each database in its own process on a fresh benchmark database named
test_smoothlms_bench_<worktree directory> (BENCH_DB_NAME), apart from the test runs' databases and
from the benchmarks of other checkouts on the same servers. Prints the tables and writes
bench/RESULTS.md. Stopped (Ctrl-C, SIGTERM), it drops its database and stops its server.

BENCH_CASES=bulk_enroll,reconcile selects cases (modules of bench/cases), BENCH_DATABASES=sqlite,mariadb
selects databases, BENCH_SCALE=0.1 shrinks every size (development; RESULTS.md is written only at
scale 1 unless BENCH_WRITE_RESULTS=1)."""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import platform
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.report import render  # noqa: E402 - after the path is set

FIRST = ["bulk_enroll"]
OUT = ROOT / "bench" / "out"  # the last run's raw figures (results.json), not committed
DATABASES = ["sqlite", "postgresql", "mariadb"]


def case_modules() -> list[str]:
    """Every module in bench/cases (bulk_enroll first), or those named in BENCH_CASES (comma-separated)."""
    only = [name.strip() for name in os.environ.get("BENCH_CASES", "").split(",") if name.strip()]
    available = [path.stem for path in sorted((ROOT / "bench" / "cases").glob("*.py")) if path.stem != "__init__"]
    unknown = [name for name in only if name not in available]
    if unknown:
        raise SystemExit(f"BENCH_CASES: no case named {', '.join(unknown)} (cases: {', '.join(available)})")
    names = only or FIRST + [name for name in available if name not in FIRST]
    return [f"bench.cases.{name}" for name in names]


def database_name() -> str:
    """test_smoothlms_bench_<this checkout's directory>: two checkouts never share a database."""
    checkout = re.sub(r"[^a-z0-9_]", "_", ROOT.name.lower())[:30]
    return os.environ.get("BENCH_DB_NAME") or f"test_smoothlms_bench_{checkout}"


def _stop(signum, frame) -> None:
    raise SystemExit(128 + signum)  # unwinds through the finally blocks: database dropped, server stopped


def run_one(database: str) -> None:
    """Child process: set up Django on a fresh benchmark database, run every case, print JSON."""
    signal.signal(signal.SIGTERM, _stop)
    os.environ["SMOOTHLMS_TESTING"] = "1"
    os.environ["SMOOTHLMS_TASKS"] = "database"
    os.environ["SMOOTHLMS_TEST_DB_NAME"] = database_name()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smoothlms.config.settings")
    import django

    django.setup()
    from django.db import connection

    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    results = []
    try:
        for module in case_modules():
            started = time.monotonic()
            results.extend(r.as_dict() for r in importlib.import_module(module).run(database))
            print(
                f"  {database}: {module.rsplit('.', 1)[-1]} done in {time.monotonic() - started:.0f}s",
                file=sys.stderr,
                flush=True,
            )
    finally:
        connection.close()
        connection.creation.destroy_test_db(connection.settings_dict["NAME"], verbosity=0)
    print("BENCH-JSON " + json.dumps(results))


def databases() -> list[tuple[str, str]]:
    """(name, DATABASE_URL) of every database to run on; prints why one is left out."""
    sys.path.insert(0, str(ROOT / "scripts"))
    from run_tests import DEFAULTS, NO_DRIVER, reachable

    wanted = [
        name.strip() for name in os.environ.get("BENCH_DATABASES", ",".join(DATABASES)).split(",") if name.strip()
    ]
    unknown = [name for name in wanted if name not in DATABASES]
    if unknown:
        raise SystemExit(f"BENCH_DATABASES: unknown {', '.join(unknown)} (use {', '.join(DATABASES)})")
    found = []
    for name in wanted:
        if name == "sqlite":
            found.append((name, f"sqlite:///{ROOT / 'var' / 'bench.sqlite3'}"))
            continue
        variable, default = DEFAULTS[name]
        url = os.environ.get(variable) or default
        if name == "mariadb" and importlib.util.find_spec("MySQLdb") is None:
            print(f"mariadb: skipped ({NO_DRIVER})")
            continue
        why = reachable(name, url)
        if why is None:
            found.append((name, url))
        else:
            print(f"{name}: skipped (not reachable at {url.split('@')[-1]}: {why})")
    return found


def _child(name: str, url: str) -> tuple[int, str]:
    """Run the cases on one database in a child process: (exit code, its stdout). The child's
    progress goes straight to the terminal (stderr). Interrupted, the child is asked to stop and
    given time to drop its database."""
    child = subprocess.Popen(
        [sys.executable, __file__, "--child", name],
        env={**os.environ, "DATABASE_URL": url},
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        stdout, _ = child.communicate()
    except BaseException:
        child.terminate()
        try:
            child.wait(timeout=60)
        except subprocess.TimeoutExpired:
            child.kill()
        raise
    return child.returncode, stdout


def _commit() -> str:
    """The checkout's commit (and whether it has uncommitted changes), for the header."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "an unknown commit"
    return f"commit {head}" + (" with uncommitted changes" if dirty else "")


class LoadSampler:
    """The machine's 1-minute load average, sampled every 10 s while the benchmark runs: the
    cores are shared, and the table is read differently at load 1 and at load 8."""

    def __init__(self) -> None:
        self.samples = [os.getloadavg()[0]]
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()

    def _sample(self) -> None:
        while not self.done.wait(10):
            self.samples.append(os.getloadavg()[0])

    def summary(self) -> str:
        self.done.set()
        low, high = min(self.samples), max(self.samples)
        return f"load average (1 min) {low:.1f} to {high:.1f}, median {statistics.median(self.samples):.1f}"


def main() -> int:
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        run_one(sys.argv[2])
        return 0
    from bench.harness import scale

    signal.signal(signal.SIGTERM, _stop)
    load = LoadSampler()
    started = time.monotonic()
    rows = []
    for name, url in databases():
        print(f"running on {name} ...", flush=True)
        code, stdout = _child(name, url)
        line = next((ln for ln in stdout.splitlines() if ln.startswith("BENCH-JSON ")), None)
        if code != 0 or line is None:
            print(stdout[-3000:], file=sys.stderr)
            print(f"the benchmark on {name} failed (exit {code})", file=sys.stderr)
            return 1
        rows.extend(json.loads(line.removeprefix("BENCH-JSON ")))
    elapsed = time.monotonic() - started
    header = (
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC at {_commit()} on {platform.machine()}, "
        f"{os.cpu_count()} cores (shared), Python {platform.python_version()}, BENCH_SCALE={scale():g}; "
        f"the whole run took {elapsed / 60:.1f} min, {load.summary()} (other work shares the cores: read the ratios, "
        "measured side by side, rather than the absolute times)."
    )
    OUT.mkdir(exist_ok=True)
    (OUT / "results.json").write_text(json.dumps({"header": header, "rows": rows}, indent=1))
    text = render(rows, header=header)
    print(text)
    if scale() == 1 or os.environ.get("BENCH_WRITE_RESULTS") == "1":
        (ROOT / "bench" / "RESULTS.md").write_text(text)
        print("written bench/RESULTS.md")
    else:
        print("bench/RESULTS.md not written (BENCH_SCALE is not 1; BENCH_WRITE_RESULTS=1 writes it)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
