"""`smoothlms sync_hr`: pull changed Employee records from the Frappe HRMS at HRMS_URL."""

from __future__ import annotations

from smoothlms.core.management.base import CommandFailed, SmoothCommand
from smoothlms.hr.models import HRSyncRun
from smoothlms.hr.sync import sync_hr


class Command(SmoothCommand):
    help = (
        "Pull the Employee records changed since the last successful sync from the Frappe HRMS at HRMS_URL "
        "and apply them (users, rehires, leavers, onboarding rules). Exit 1 when the HRMS could not be "
        "reached after the retries (nothing half-applied; the next run fetches the same records)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--page-size", type=int, default=None, help="records per request (default 500)")

    def run(self, *, page_size, **options):
        run = sync_hr(page_size=page_size)
        if run.status != HRSyncRun.Status.SUCCEEDED:
            raise CommandFailed("hrms_unavailable", run.error.splitlines()[0] if run.error else "The sync failed.")
        for line in (run.error or "").splitlines():
            self.stdout.write(line)
        self.stdout.write(
            f"fetched={run.fetched} changed={run.changed}"
            + (f" until={run.modified_until.isoformat()}" if run.modified_until else "")
        )
