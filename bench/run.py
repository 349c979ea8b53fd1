"""`make bench`: every case on SQLite and on PostgreSQL (when reachable), each database in its own
process on a fresh benchmark database. Prints a table and writes bench/RESULTS.md."""

from __future__ import annotations

import importlib
import json
import os
import platform
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CASES = ["bench.cases.bulk_enroll"]


def case_modules() -> list[str]:
    """Every module in bench/cases (bulk_enroll first), or those named in BENCH_CASES (comma-separated)."""
    only = [name.strip() for name in os.environ.get("BENCH_CASES", "").split(",") if name.strip()]
    if only:
        return [f"bench.cases.{name}" for name in only]
    modules = list(CASES)
    for path in sorted((ROOT / "bench" / "cases").glob("*.py")):
        name = f"bench.cases.{path.stem}"
        if path.stem != "__init__" and name not in modules:
            modules.append(name)
    return modules


def run_one(database: str) -> None:
    """Child process: set up Django on a fresh benchmark database, run every case, print JSON."""
    os.environ["SMOOTHLMS_TESTING"] = "1"
    os.environ["SMOOTHLMS_TASKS"] = "database"
    os.environ["SMOOTHLMS_TEST_DB_NAME"] = "test_smoothlms_bench"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smoothlms.config.settings")
    import django

    django.setup()
    from django.db import connection

    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    results = []
    try:
        for module in case_modules():
            results.extend(r.as_dict() for r in importlib.import_module(module).run(database))
    finally:
        connection.creation.destroy_test_db(connection.settings_dict["NAME"], verbosity=0)
    print("BENCH-JSON " + json.dumps(results))


def main() -> int:
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        run_one(sys.argv[2])
        return 0
    sys.path.insert(0, str(ROOT / "scripts"))
    from run_tests import DEFAULTS, reachable

    databases = [("sqlite", f"sqlite:///{ROOT / 'var' / 'bench.sqlite3'}")]
    variable, default = DEFAULTS["postgresql"]
    pg_url = os.environ.get(variable) or default
    if reachable("postgresql", pg_url) is None:
        databases.append(("postgresql", pg_url))
    else:
        print("postgresql not reachable: benchmarks run on SQLite only")
    rows = []
    for name, url in databases:
        print(f"running on {name} ...", flush=True)
        out = subprocess.run([sys.executable, __file__, "--child", name], env={**os.environ, "DATABASE_URL": url},
                             capture_output=True, text=True, cwd=ROOT)
        line = next((ln for ln in out.stdout.splitlines() if ln.startswith("BENCH-JSON ")), None)
        if out.returncode != 0 or line is None:
            print(out.stdout[-3000:], out.stderr[-3000:], file=sys.stderr)
            return 1
        rows.extend(json.loads(line.removeprefix("BENCH-JSON ")))
    header = ["case", "database", "rows", "seconds", "rows/s", "peak MB", "floor s", "x floor",
              "per-row rows/s", "x per-row"]
    table = [[r["case"], r["database"], r["rows"], r["seconds"], r["rows_per_second"], r["peak_mb"],
              r["floor_seconds"] or "", r["floor_ratio"] or "", r["baseline_rows_per_second"] or "",
              r["baseline_ratio"] or ""] for r in rows]
    try:
        from rich.console import Console
        from rich.table import Table

        rich_table = Table(*header)
        for row in table:
            rich_table.add_row(*map(str, row))
        Console().print(rich_table)
    except ImportError:
        print("\t".join(header))
        for row in table:
            print("\t".join(map(str, row)))
    lines = [
        "# Benchmark results", "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}. `x floor`: time / time of plain bulk INSERTs of the same rows "
        "(no checks) in the same run; `x per-row`: rows per second / rows per second of the one-at-a-time "
        "service path in the same run. Peak MB: peak Python allocations (tracemalloc) of an identical second run.", "",
        "| " + " | ".join(header) + " |", "|" + "---|" * len(header),
    ]
    lines += ["| " + " | ".join(map(str, row)) + " |" for row in table]
    notes = sorted({f"- {r['case']} ({r['database']}): {note}" for r in rows for note in r["notes"]})
    if notes:
        lines += ["", "Notes:", *notes]
    (ROOT / "bench" / "RESULTS.md").write_text("\n".join(lines) + "\n")
    print("written bench/RESULTS.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
