"""`make test`: the static checks, then the suite on SQLite, PostgreSQL and MariaDB (side by side) when they answer.

PostgreSQL and MariaDB are used when TEST_POSTGRES_URL / TEST_MARIADB_URL are set, or when the
`smoothlms` user (scripts/provision-databases.sh) can connect on the default local ports.
Prints which databases ran; exits non-zero when any run failed."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NO_DRIVER = "no client headers: apt-get install libmariadb-dev pkg-config"
DEFAULTS = {
    "postgresql": ("TEST_POSTGRES_URL", "postgres://smoothlms:smoothlms@127.0.0.1:5432/smoothlms"),
    "mariadb": ("TEST_MARIADB_URL", "mysql://smoothlms:smoothlms@127.0.0.1:3306/smoothlms"),
}


def reachable(kind: str, url: str) -> str | None:
    """None when we can sign in with `url`, else why not."""
    from urllib.parse import unquote, urlsplit

    parts = urlsplit(url)
    try:
        if kind == "postgresql":
            import psycopg

            psycopg.connect(url.replace("postgres://", "postgresql://", 1), connect_timeout=3).close()
        else:
            import MySQLdb

            MySQLdb.connect(
                host=parts.hostname or "127.0.0.1",
                port=parts.port or 3306,
                user=unquote(parts.username or ""),
                password=unquote(parts.password or ""),
                connect_timeout=3,
            ).close()
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"; we report it
        return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return None


class Run:
    """One database's pytest run in a child process, its output in `log` (or the terminal)."""

    def __init__(self, kind: str, env: dict[str, str], extra: list[str], log: Path | None) -> None:
        self.kind, self.log, self.started = kind, log, time.monotonic()
        print(f"\n=== {kind} ===" + (f" (output in {log.relative_to(ROOT)})" if log else ""), flush=True)
        output = log.open("w") if log else None
        command = [sys.executable, "-m", "pytest", "-q", *extra]
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
        if output:
            output.close()

    def finish(self) -> tuple[str, int, float]:
        code = self.process.wait()
        seconds = time.monotonic() - self.started
        if self.log:
            lines = self.log.read_text(errors="replace").splitlines()
            shown = lines[-200:] if code else lines[-1:]
            print(f"\n=== {self.kind}: {'passed' if code == 0 else 'FAILED'} ===", *shown, sep="\n", flush=True)
        return self.kind, code, seconds


def run_env(kind: str, url: str) -> dict[str, str]:
    """Each run in a var directory of its own (media, uploads), apart from the others."""
    var = ROOT / "var" / f"test-{kind}"
    var.mkdir(parents=True, exist_ok=True)
    return {**os.environ, "DATABASE_URL": url, "SMOOTHLMS_TEST_DB": kind, "SMOOTHLMS_VAR_DIR": str(var)}


def pytest_args(kind: str, extra: list[str]) -> list[str]:
    """The browser tests drive pages, which do not change with the database: they run on SQLite
    only (SMOOTHLMS_TEST_BROWSER_EVERYWHERE=1 runs them on every database), unless the arguments
    choose their own markers. Concurrency and SQL run on every database."""
    timed = ["--durations=20", *extra]  # the slowest tests, at the end of each run's log
    if kind == "sqlite" or os.environ.get("SMOOTHLMS_TEST_BROWSER_EVERYWHERE") == "1" or "-m" in extra:
        return timed
    return [*timed, "-m", "not browser"]


def run_databases(runs: list[tuple[str, str]], extra: list[str], bin_dir: Path) -> list[tuple[str, int, float]]:
    """`smoothlms check` on each database, then pytest on each: side by side (each in its own var
    directory and Redis database), so the suite takes about as long as its longest run, or one by
    one with SMOOTHLMS_TEST_SERIAL=1."""
    results = []
    ready = []
    for kind, url in runs:
        # A constraint or index this backend cannot hold is a warning (models.W036...): an error here.
        check = [str(bin_dir / "smoothlms"), "check", "--database", "default", "--fail-level", "WARNING"]
        started = time.monotonic()
        if code := subprocess.call(check, cwd=ROOT, env=run_env(kind, url)):
            results.append((kind, code, time.monotonic() - started))
        else:
            ready.append((kind, url))
    serial = os.environ.get("SMOOTHLMS_TEST_SERIAL") == "1"
    if serial:
        return results + [Run(kind, run_env(kind, url), pytest_args(kind, extra), None).finish() for kind, url in ready]
    started_runs = [
        Run(kind, run_env(kind, url), pytest_args(kind, extra), ROOT / "var" / f"test-{kind}.log")
        for kind, url in ready
    ]
    return results + [run.finish() for run in started_runs]


def main() -> int:
    extra = sys.argv[1:]
    runs: list[tuple[str, str]] = [("sqlite", f"sqlite:///{ROOT / 'var' / 'test-main.sqlite3'}")]
    skipped: list[str] = []
    for kind, (variable, default) in DEFAULTS.items():
        url = os.environ.get(variable) or default
        if kind == "mariadb" and importlib.util.find_spec("MySQLdb") is None:
            if os.environ.get(variable):
                print(f"error: {variable} is set but the MariaDB driver is missing: {NO_DRIVER}", file=sys.stderr)
                return 2
            print(f"MariaDB: skipped ({NO_DRIVER})")
            skipped.append(f"mariadb ({NO_DRIVER})")
            continue
        why = reachable(kind, url)
        if why is None:
            runs.append((kind, url))
        elif os.environ.get(variable):
            print(f"error: {variable} is set but {kind} cannot be reached: {why}", file=sys.stderr)
            return 2
        else:
            skipped.append(f"{kind} (not reachable at {url.split('@')[-1]}: {why})")
    results = []
    bin_dir = Path(sys.executable).parent
    print("=== static checks: ruff (lint, complexity, format), import contracts, migrations ===", flush=True)
    static = [
        [str(bin_dir / "ruff"), "check", "--quiet", "."],
        [str(bin_dir / "ruff"), "format", "--check", "--quiet", "."],
        [str(bin_dir / "lint-imports"), "--no-cache"],
        [str(bin_dir / "smoothlms"), "makemigrations", "--check", "--dry-run", "-v0"],
    ]
    started = time.monotonic()
    code = max(subprocess.call(command, cwd=ROOT) for command in static)
    results.append(("ruff check + format + lint-imports + makemigrations --check", code, time.monotonic() - started))
    results += run_databases(runs, extra, bin_dir)
    print("\n=== databases ===")
    for kind, code, seconds in results:
        print(f"{kind}: {'passed' if code == 0 else f'FAILED (exit {code})'} in {seconds:.0f}s")
    for line in skipped:
        print(f"skipped: {line}")
    return 0 if all(code == 0 for _, code, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
