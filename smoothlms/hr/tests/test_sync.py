"""`sync_hr` against a Frappe-like HTTP server on 127.0.0.1, healthy and failing."""

from __future__ import annotations

import datetime as dt
import io
import json
import socket

import pytest
from django.core.management import call_command
from django.utils import timezone

from smoothlms.core.models import EnrollmentEvent, EventType
from smoothlms.hr.errors import HRMSNotConfigured
from smoothlms.hr.models import HRSyncRun
from smoothlms.hr.selectors import get_hr_sync_status
from smoothlms.hr.sync import run_periodic_hr_sync, sync_hr
from smoothlms.hr.tests.frappe_server import FakeFrappe
from smoothlms.people.models import Employee, User, UserInvitation

pytestmark = pytest.mark.django_db


@pytest.fixture
def frappe(settings):
    with FakeFrappe() as server:
        settings.HRMS_URL = server.url
        settings.HRMS_API_KEY = "key"
        settings.HRMS_API_SECRET = "secret"
        # Long enough for the stand-in to answer on a busy machine; the slow-answer test outwaits it.
        settings.HRMS_TIMEOUT = 3
        settings.HR_SYNC_BACKOFF = 0.01
        settings.HR_SYNC_ATTEMPTS = 3
        yield server


def stamp(second: int) -> str:
    return f"2025-03-01 10:00:{second:02d}.000000"


def staff(server: FakeFrappe, count: int) -> None:
    for n in range(count):
        server.add(f"HR-{n}", stamp(n), company_email=f"p{n}@example.com")


def no_sleep(seconds: float) -> None:
    pass


def test_sync_pages_through_changed_employees_with_the_token(frappe):
    staff(frappe, 5)
    run = sync_hr(page_size=2, sleep=no_sleep)
    assert run.status == HRSyncRun.Status.SUCCEEDED
    assert (run.fetched, run.changed) == (5, 5)
    assert run.modified_until == dt.datetime(2025, 3, 1, 10, 0, 4, tzinfo=dt.UTC)
    assert sorted(Employee.objects.values_list("employee", "user__email")) == [
        (f"HR-{n}", f"p{n}@example.com") for n in range(5)
    ]
    first = frappe.requests[0]
    assert first["path"] == "/api/resource/Employee"
    assert first["auth"] == "token key:secret"
    assert json.loads(first["filters"]) == []
    assert first["order_by"] == "modified asc, name asc"
    assert (first["limit_start"], first["limit_page_length"]) == ("0", "2")
    assert {
        "name",
        "employee_name",
        "company_email",
        "personal_email",
        "user_id",
        "status",
        "date_of_joining",
        "relieving_date",
        "employment_type",
        "department",
        "designation",
        "modified",
    } <= set(json.loads(first["fields"]))
    # Later pages continue after the last `modified` seen.
    assert json.loads(frappe.requests[1]["filters"]) == [["modified", ">=", stamp(1)]]
    assert len(frappe.requests) == 3


def test_next_sync_asks_only_for_what_changed_since_the_last_success(frappe):
    staff(frappe, 3)
    sync_hr(sleep=no_sleep)
    frappe.requests.clear()
    frappe.add("HR-1", stamp(30), company_email="p1@example.com", department="Sales")
    run = sync_hr(sleep=no_sleep)
    assert json.loads(frappe.requests[0]["filters"]) == [["modified", ">", stamp(2)]]
    assert (run.fetched, run.changed) == (1, 1)
    assert Employee.objects.get(employee="HR-1").department == "Sales"
    assert Employee.objects.get(employee="HR-1").modified_in_hr == dt.datetime(2025, 3, 1, 10, 0, 30, tzinfo=dt.UTC)


def test_records_sharing_one_modified_instant_across_pages_are_each_fetched_once(frappe):
    for n in range(5):
        frappe.add(f"HR-{n}", stamp(7), company_email=f"p{n}@example.com")
    run = sync_hr(page_size=2, sleep=no_sleep)
    assert run.status == HRSyncRun.Status.SUCCEEDED and run.fetched == 5
    assert Employee.objects.count() == 5
    assert [r["limit_start"] for r in frappe.requests] == ["0", "2", "4"]


def test_a_record_edited_in_the_hrms_during_the_run_shifts_nothing_out(frappe):
    staff(frappe, 6)

    def edit_first_record(server: FakeFrappe, number: int) -> None:
        if number == 1:  # between pages: HR-0 is edited and moves to the end of the order
            server.add("HR-0", stamp(50), company_email="p0@example.com", designation="Lead")

    frappe.after_request = edit_first_record
    run = sync_hr(page_size=2, sleep=no_sleep)
    assert run.status == HRSyncRun.Status.SUCCEEDED
    assert Employee.objects.count() == 6
    assert Employee.objects.get(employee="HR-0").designation == "Lead"


def test_wrong_token_fails_the_run_without_retrying(frappe, settings):
    settings.HRMS_API_SECRET = "wrong"
    staff(frappe, 2)
    run = sync_hr(sleep=no_sleep)
    assert run.status == HRSyncRun.Status.FAILED
    assert run.error.startswith(f"Failed: HTTP 401 from {frappe.url}")
    assert len(frappe.requests) == 1
    assert not Employee.objects.exists()


def test_server_errors_are_retried_with_backoff_then_applied_once(frappe):
    staff(frappe, 3)
    frappe.failures = ["500", "500"]
    waits = []
    run = sync_hr(sleep=waits.append)
    assert run.status == HRSyncRun.Status.SUCCEEDED
    assert waits == [0.01, 0.02]
    assert run.error.splitlines()[:2] == [
        f"attempt 1: HTTP 500 from {frappe.url}",
        f"attempt 2: HTTP 500 from {frappe.url}",
    ]
    assert Employee.objects.count() == 3
    assert EnrollmentEvent.objects.filter(kind=EventType.USER_CREATED).count() == 3


def test_a_slow_answer_times_out_and_is_retried(frappe):
    staff(frappe, 2)
    frappe.failures = ["slow"]
    frappe.slow_seconds = 4  # past HRMS_TIMEOUT
    run = sync_hr(sleep=no_sleep)
    assert run.status == HRSyncRun.Status.SUCCEEDED
    assert "did not answer" in run.error.splitlines()[0]
    assert Employee.objects.count() == 2


def test_hrms_down_records_the_failure_keeps_the_watermark_and_the_next_run_applies_once(frappe):
    staff(frappe, 4)
    sync_hr(page_size=10, sleep=no_sleep)
    for n in range(4, 8):
        frappe.add(f"HR-{n}", stamp(n), company_email=f"p{n}@example.com")
    # The first page of the new records is applied, then the HRMS goes down for good.
    frappe.failures = [None, "500", "drop", "500"]
    failed = sync_hr(page_size=2, sleep=no_sleep)
    assert failed.status == HRSyncRun.Status.FAILED
    assert failed.error.startswith("Failed: ")
    assert (failed.fetched, failed.changed) == (2, 2)
    assert failed.modified_until == dt.datetime(2025, 3, 1, 10, 0, 3, tzinfo=dt.UTC)  # unchanged
    assert Employee.objects.count() == 6
    status = get_hr_sync_status()
    assert status.failing and status.consecutive_failures == 1
    assert status.message.startswith("HR sync failing (1 run(s) in a row): Failed: ")

    frappe.requests.clear()
    again = sync_hr(page_size=2, sleep=no_sleep)
    assert again.status == HRSyncRun.Status.SUCCEEDED
    assert json.loads(frappe.requests[0]["filters"]) == [["modified", ">", stamp(3)]]
    assert (again.fetched, again.changed) == (4, 2)  # the two applied before are unchanged now
    assert Employee.objects.count() == 8
    assert User.objects.count() == 8
    assert EnrollmentEvent.objects.filter(kind=EventType.USER_CREATED).count() == 8
    assert UserInvitation.objects.count() == 8
    assert not get_hr_sync_status().failing


def test_connection_refused_is_a_recorded_failure(settings):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.HRMS_URL = f"http://127.0.0.1:{port}"
    settings.HR_SYNC_ATTEMPTS = 2
    run = sync_hr(sleep=no_sleep)
    assert run.status == HRSyncRun.Status.FAILED
    assert "did not answer" in run.error


def test_refused_records_are_reported_and_the_others_applied(frappe):
    frappe.add("HR-1", stamp(1), company_email="a@example.com")
    frappe.add("HR-2", stamp(2), company_email="b@example.com", status="Retired")
    run = sync_hr(sleep=no_sleep)
    assert run.status == HRSyncRun.Status.SUCCEEDED
    assert run.error.splitlines() == [
        "1 record(s) refused:",
        "HR-2: invalid_status: Status Retired is not one of Active, Inactive, Suspended, Left.",
    ]
    assert list(Employee.objects.values_list("employee", flat=True)) == ["HR-1"]
    assert run.modified_until == dt.datetime(2025, 3, 1, 10, 0, 2, tzinfo=dt.UTC)


def test_sync_without_hrms_url_is_refused(settings):
    settings.HRMS_URL = ""
    with pytest.raises(HRMSNotConfigured):
        sync_hr()


def test_command_prints_counts_and_exits_1_when_the_hrms_is_down(frappe, capsys):
    staff(frappe, 2)
    out = io.StringIO()
    call_command("sync_hr", stdout=out)
    until = dt.datetime(2025, 3, 1, 10, 0, 1, tzinfo=dt.UTC).isoformat()
    assert out.getvalue().splitlines()[-1] == f"fetched=2 changed=2 until={until}"
    frappe.failures = ["500"] * 3
    with pytest.raises(SystemExit) as exited:
        call_command("sync_hr", stdout=io.StringIO())
    assert exited.value.code == 1
    assert capsys.readouterr().err == f"error: hrms_unavailable: Failed: HTTP 500 from {frappe.url}\n"


def test_periodic_job_backs_off_after_failures(frappe):
    staff(frappe, 1)
    frappe.failures = ["500"] * 3
    first = run_periodic_hr_sync()
    assert first.status == HRSyncRun.Status.FAILED
    requests = len(frappe.requests)
    assert run_periodic_hr_sync() is None  # within the back-off window: the HRMS is left alone
    assert len(frappe.requests) == requests
    later = run_periodic_hr_sync(now=timezone.now() + dt.timedelta(minutes=3))
    assert later.status == HRSyncRun.Status.SUCCEEDED
    assert Employee.objects.count() == 1
