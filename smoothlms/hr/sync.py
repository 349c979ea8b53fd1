"""Pulling changed Employee records from a Frappe HRMS, and the periodic HR job.

Each run pages through the records modified since the last successful run (ordered by `modified`,
then `name`), applies each page through the provisioning service in one transaction, and records
an HRSyncRun. When the HRMS answers 5xx, times out or refuses the connection, a request is retried
with backoff a bounded number of times; if it still fails, the run is recorded as failed and the
watermark stays where it was, so the next run fetches the same records again. Pages already
applied are then unchanged records and write nothing: nothing is applied twice, nothing half-way.
The LMS itself keeps serving meanwhile: the sync runs in the worker, never in a web request.

Paging: the first page asks for `modified > since`. Later pages continue from the last `modified`
seen (`modified >= last`, skipping the records of that instant already applied), rather than by a
growing offset, so records edited in the HRMS during the run cannot shift a page and be skipped.

A run always ends: a page that brings no record new to the run (a server that ignores
`limit_start` answers the same page for ever) fails it, and so does reaching HR_SYNC_MAX_PAGES
pages, or any unexpected error, each with the reason in the run's error.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.utils import timezone

from smoothlms.core.errors import DomainError
from smoothlms.hr.errors import HRMSNotConfigured, HRSyncRunning
from smoothlms.hr.frappe import FrappeClient, HRMSError, with_retries
from smoothlms.hr.models import HRSyncRun
from smoothlms.hr.onboarding import apply_onboarding_rules
from smoothlms.hr.records import EmployeeRecord, hrms_zone, parse_modified, parse_record
from smoothlms.hr.services import ERROR, RowOutcome, disable_threshold_setting, provision_employees

log = logging.getLogger(__name__)

SOURCE = "hrms_sync"
STALE_RUN = dt.timedelta(minutes=30)  # a run "running" for longer than this died with its worker


def _setting(name: str, default: Any) -> Any:
    return getattr(settings, name, default)


def format_modified(moment: dt.datetime) -> str:
    """As Frappe writes `modified`: naive, in the HRMS's time zone, with microseconds."""
    return timezone.localtime(moment, hrms_zone()).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


class SyncStopped(HRMSError):
    """The HRMS answered, but the run cannot go on (it would never end)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, transient=False)


def sync_hr(
    *, client: FrappeClient | None = None, page_size: int | None = None, sleep: Callable[[float], None] = time.sleep
) -> HRSyncRun:
    """Pull and apply the Employee records changed in the HRMS since the last successful run.

    Rules: HRMS_URL must be set; one run at a time (a run older than 30 minutes counts as dead);
    retries per request (HR_SYNC_ATTEMPTS, default 4, backoff HR_SYNC_BACKOFF seconds doubling,
    default 2); at most HR_SYNC_MAX_PAGES pages (default 1000); a page with no record new to the
    run fails it; the watermark advances only when the whole run succeeded. Side effects: an
    HRSyncRun (succeeded or failed, with counts and the error), and those of provisioning (users,
    employee records, set-password emails, onboarding rules) for each page, in one transaction per
    page. Returns the run; a failed run does not raise."""
    if not settings.HRMS_URL and client is None:
        raise HRMSNotConfigured()
    client = client or FrappeClient.from_settings()
    page_size = page_size or int(_setting("HR_SYNC_PAGE_SIZE", 500))
    attempts = int(_setting("HR_SYNC_ATTEMPTS", 4))
    backoff = float(_setting("HR_SYNC_BACKOFF", 2.0))
    max_pages = int(_setting("HR_SYNC_MAX_PAGES", 1000))

    now = timezone.now()
    running = HRSyncRun.objects.filter(status=HRSyncRun.Status.RUNNING, started_at__gte=now - STALE_RUN).first()
    if running is not None:
        raise HRSyncRunning(started_at=timezone.localtime(running.started_at).strftime("%Y-%m-%d %H:%M"))
    HRSyncRun.objects.filter(status=HRSyncRun.Status.RUNNING).update(
        status=HRSyncRun.Status.FAILED, finished_at=now, error="The run stopped without finishing (worker ended)."
    )
    last = HRSyncRun.objects.filter(status=HRSyncRun.Status.SUCCEEDED).order_by("-started_at", "-pk").first()
    since = last.modified_until if last else None
    run = HRSyncRun.objects.create(started_at=now, modified_since=since, modified_until=since)

    fetched = changed = pages = 0
    refused: list[str] = []
    retries: list[str] = []
    seen: set[tuple[str, str]] = set()  # (HR id, modified) of every record this run fetched
    cursor, seen_at_cursor, first = since, 0, True
    try:
        while True:
            if pages >= max_pages:
                raise SyncStopped(
                    f"Stopped after {max_pages} pages (HR_SYNC_MAX_PAGES) with more to fetch: "
                    "raise the limit or HR_SYNC_PAGE_SIZE."
                )
            if first:
                filters = [["modified", ">", format_modified(cursor)]] if cursor else []
                start = 0
            else:
                filters = [["modified", ">=", format_modified(cursor)]]
                start = seen_at_cursor

            def fetch(filters=filters, start=start) -> list[dict[str, Any]]:
                return client.list_employees(filters=filters, limit_start=start, limit_page_length=page_size)

            page = with_retries(
                fetch,
                attempts=attempts,
                backoff=backoff,
                sleep=sleep,
                on_retry=lambda attempt, error: retries.append(f"attempt {attempt}: {error}"),
            )
            if not page:
                break
            pages += 1
            _check_progress(page, seen=seen, number=pages)
            records, errors = _parse_page(page, offset=fetched)
            report = provision_employees(
                records=records,
                actor=None,
                source=SOURCE,
                errors=errors,
                chunk_size=max(len(records), 1),
                disable_threshold=disable_threshold_setting(),
            )
            fetched += len(page)
            changed += report.changed
            refused += [f"{row.employee}: {row.code}: {row.message}" for row in report.rows if row.action == ERROR]
            # The cursor moves over every record of the page, refused ones too (reported, not fetched for ever).
            moments = [_safe_modified(document) for document in page]
            last_modified = max((m for m in moments if m is not None), default=None)
            if last_modified is not None:
                at_last = sum(1 for m in moments if m == last_modified)
                seen_at_cursor = at_last + (seen_at_cursor if (not first and last_modified == cursor) else 0)
                cursor = last_modified
            first = False
            HRSyncRun.objects.filter(pk=run.pk).update(fetched=fetched, changed=changed)
            if len(page) < page_size or last_modified is None:
                break
    except Exception as error:  # noqa: BLE001 - whatever stops it, the run ends recorded, never "running"
        if isinstance(error, HRMSError | DomainError):  # the HRMS failed, or a rule refused the page
            detail = error.user_message() if isinstance(error, DomainError) else str(error)
            log.warning("HR sync %s failed: %s", run.pk, detail)
        else:
            detail = f"{type(error).__name__}: {error}"
            log.exception("HR sync %s stopped by an unexpected error", run.pk)
        _finish(
            run,
            HRSyncRun.Status.FAILED,
            fetched=fetched,
            changed=changed,
            error="\n".join([f"Failed: {detail}", *retries, *_refused_lines(refused)]),
        )
        return run
    _finish(
        run,
        HRSyncRun.Status.SUCCEEDED,
        fetched=fetched,
        changed=changed,
        modified_until=cursor,
        error="\n".join([*retries, *_refused_lines(refused)]),
    )
    return run


def _check_progress(page: list[dict[str, Any]], *, seen: set[tuple[str, str]], number: int) -> None:
    """A page must bring a record this run has not fetched yet: a server that ignores limit_start
    answers the same records for ever. `seen` collects (HR id, modified) of every record fetched."""
    keys = {
        (str(document.get("name") or document.get("employee") or ""), str(document.get("modified")))
        for document in page
    }
    if keys <= seen:
        raise SyncStopped(
            f"Page {number} from the HRMS brought no new record (the same records again: "
            "does it ignore limit_start?); stopped."
        )
    seen |= keys


def _refused_lines(refused: list[str]) -> list[str]:
    if not refused:
        return []
    lines = [f"{len(refused)} record(s) refused:", *refused[:20]]
    if len(refused) > 20:
        lines.append(f"... and {len(refused) - 20} more")
    return lines


def _finish(
    run: HRSyncRun, status: str, *, fetched: int, changed: int, error: str, modified_until: dt.datetime | None = None
) -> None:
    run.status, run.fetched, run.changed, run.error = status, fetched, changed, error
    run.finished_at = timezone.now()
    fields = ["status", "fetched", "changed", "error", "finished_at"]
    if status == HRSyncRun.Status.SUCCEEDED:
        run.modified_until = modified_until
        fields.append("modified_until")
    run.save(update_fields=fields)


def _parse_page(page: list[dict[str, Any]], *, offset: int) -> tuple[list[EmployeeRecord], list[RowOutcome]]:
    records: list[EmployeeRecord] = []
    errors: list[RowOutcome] = []
    for index, document in enumerate(page, start=offset + 1):
        try:
            records.append(parse_record(document, row=index))
        except DomainError as error:
            hr_id = str(document.get("name") or document.get("employee") or "")
            errors.append(
                RowOutcome(
                    row=index, employee=hr_id, action=ERROR, code=error.code, message=error.user_message(), error=error
                )
            )
    return records, errors


def _safe_modified(document: dict[str, Any]) -> dt.datetime | None:
    try:
        return parse_modified(document.get("modified"))
    except DomainError:
        return None


def _consecutive_failures() -> tuple[int, HRSyncRun | None]:
    failures = 0
    latest = None
    for run in HRSyncRun.objects.exclude(status=HRSyncRun.Status.RUNNING).order_by("-started_at", "-pk")[:10]:
        latest = latest or run
        if run.status != HRSyncRun.Status.FAILED:
            break
        failures += 1
    return failures, latest


def run_periodic_hr_sync(*, now: dt.datetime | None = None) -> HRSyncRun | None:
    """The periodic HR job: sync from the HRMS (when HRMS_URL is set), then apply the onboarding
    rules to every joiner (what an earlier run could not finish: no cohort yet, cohort full).
    (Set-password emails that stayed pending are the email sweep's, in notifications.) After
    consecutive failed syncs it backs off: the sync is skipped until 2, 4, 8... minutes (at most an
    hour) have passed since the last failure. Returns the sync run, or None when no sync ran."""
    now = now or timezone.now()
    run = None
    if settings.HRMS_URL:
        failures, latest = _consecutive_failures()
        wait = dt.timedelta(minutes=min(2**failures, 60)) if failures else dt.timedelta(0)
        if not failures or latest is None or latest.finished_at is None or now - latest.finished_at >= wait:
            try:
                run = sync_hr()
            except HRSyncRunning:
                log.info("HR sync skipped: another run is in progress")
    apply_onboarding_rules()
    return run
