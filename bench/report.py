"""The results as Markdown: printed by `make bench` and written to bench/RESULTS.md."""

from __future__ import annotations

from bench.capture import PHASES

LEGEND = """\
- `seconds`: the case, every check on; the fastest of BENCH_REPEAT (2) runs on fresh targets, as are
  A and B (the machine is shared; a first run over 2 s is not repeated). Peak MB: peak Python
  allocations (tracemalloc, not RSS) of one more identical run.
- References measured in the same run on the same database, writing the same rows (same tables,
  columns and counts; a note says so when they do not): **A** = the raw driver floor, one transaction
  on the driver's own cursor (`executemany` on SQLite/sqlite3 and MariaDB/MySQLdb, `COPY ... FROM
  STDIN` on PostgreSQL/psycopg 3), no checks; **B** = Django's `bulk_create` (batch_size 1000) of the
  same rows as model instances, one transaction. `x A`, `x B`: seconds / the reference's seconds.
  For reconcile_roster (a read) A = `csv.reader` of the export plus one roster SELECT on the driver's
  cursor, B = `csv.DictReader` plus the same SELECT through the ORM.
- `x per-row`: rows per second / rows per second of `enroll()` one member at a time, same run."""

PHASE_LEGEND = """\
Phases of the fastest timed run, watched from the outside (no application code changed): every
statement through `connection.execute_wrapper`, PostgreSQL's COPY on the driver's cursor, and every
COMMIT, classified by kind and table. reads: SELECTs; lock: SELECT ... FOR UPDATE and the seat
UPDATE of the cohort row; writes: INSERT/UPDATE (and COPY, staging tables) of the rows themselves;
audit: the audit table; tasks: the task table (written after COMMIT); commit: COMMIT; other:
savepoints and the rest. Python time is charged to the statement that follows it (building its
rows; before the first statement: reading and parsing the input, so reads), except the Python time
between a read and a statement of another phase, or the end, which is `checks` (the rules working on
what was read), and the time before a COMMIT, which is `other`. Each cell: seconds, share of the
run, statements (seconds inside them, Django's cursor wrapper and the driver included)."""


def _fmt(value, digits: int = 3) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, float):
        return f"{value:.{digits}f}" if value < 100 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _table(header: list[str], rows: list[list]) -> list[str]:
    return [
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
        *["| " + " | ".join(_fmt(cell) for cell in row) + " |" for row in rows],
    ]


def _case_table(cases: list[dict]) -> list[str]:
    header = ["case", "database", "rows", "seconds", "rows/s", "peak MB", "A s", "x A", "B s", "x B", "x per-row"]
    rows = [
        [
            r["case"],
            r["database"],
            r["rows"],
            r["seconds"],
            round(r["rows"] / r["seconds"]) if r["seconds"] else "",
            f"{r['peak_mb']:.1f}",
            r["a_seconds"],
            _ratio(r["x_a"]),
            r["b_seconds"],
            _ratio(r["x_b"]),
            _ratio(r["per_row_ratio"], 1),
        ]
        for r in cases
    ]
    return _table(header, rows)


def _ratio(value, digits: int = 2) -> str:
    return "" if value is None else f"{value:.{digits}f}x"


def _phase_tables(cases: list[dict]) -> list[str]:
    lines: list[str] = []
    for name in dict.fromkeys(r["case"] for r in cases if r.get("phases")):
        runs = [r for r in cases if r["case"] == name and r.get("phases")]
        lines += ["", f"### Phases: {name}", ""]
        rows = []
        for phase in PHASES:
            cells = []
            for r in runs:
                data = r["phases"].get(phase)
                if not data:
                    cells.append("")
                    continue
                share = data["seconds"] / r["phases"]["total"] * 100 if r["phases"]["total"] else 0
                inside = f" ({data['db_seconds']:.3f} s in them)" if data["statements"] else ""
                count = data["statements"]
                cells.append(f"{data['seconds']:.3f} s, {share:.0f}%, {count} stmt{'' if count == 1 else 's'}{inside}")
            if any(cells):
                rows.append([phase, *cells])
        rows.append(["total", *[f"{r['phases']['total']:.3f} s" for r in runs]])
        lines += _table(["phase", *[r["database"] for r in runs]], rows)
    return lines


def _ms(value: float) -> str:
    return f"{value:.1f}" if value < 100 else f"{value:,.0f}"


def _http_tables(http: list[dict]) -> list[str]:
    lines: list[str] = []
    for r in http:
        lines += ["", f"## {r['case']} ({r['database']})", "", r["setup"], ""]
        post = any("x_post" in k for k in r["kinds"])  # the column only where a trivial POST was measured
        header = ["request", "requests", "req/s", "p50 ms", "p99 ms", "x trivial GET", *(["x trivial POST"] * post)]
        rows = [
            [
                k["label"],
                k["requests"],
                f"{k['rps']:.0f}",
                _ms(k["p50_ms"]),
                _ms(k["p99_ms"]),
                _ratio(k["x_get"]),
                *([_ratio(k["x_post"]) if "x_post" in k else ""] * post),
                ", ".join(f"{code}: {count}" for code, count in k["outcomes"].items()),
            ]
            for k in r["kinds"]
        ]
        header.append("outcomes")
        lines += _table(header, rows)
    return lines


def render(rows: list[dict], *, header: str) -> str:
    cases = [r for r in rows if r.get("kind") != "http"]
    http = [r for r in rows if r.get("kind") == "http"]
    lines = ["# Benchmark results", "", header, "", LEGEND, ""]
    if cases:
        lines += _case_table(cases)
    phased = [r for r in cases if r.get("phases")]
    if phased:
        lines += ["", "## Phases", "", PHASE_LEGEND]
        lines += _phase_tables(phased)
    lines += _http_tables(http)
    notes = sorted({f"- {r['case']} ({r['database']}): {note}" for r in rows for note in r.get("notes", [])})
    if notes:
        lines += ["", "## Notes", "", *notes]
    return "\n".join(lines) + "\n"
