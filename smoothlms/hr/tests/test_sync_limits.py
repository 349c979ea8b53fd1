"""`sync_hr` against misbehaving HRMS stand-ins on 127.0.0.1 (CONTRACT.md section 10): a server that
ignores limit_start, one that redirects to another host, one with a huge body. Each run ends, failed
with the reason, and the API token never leaves HRMS_URL's host."""

from __future__ import annotations

import time

import pytest

from smoothlms.hr.models import HRSyncRun
from smoothlms.hr.sync import sync_hr
from smoothlms.hr.tests.frappe_server import FakeFrappe
from smoothlms.hr.tests.test_sync import frappe, no_sleep, staff, stamp  # noqa: F401 - the fixture
from smoothlms.people.models import Employee

pytestmark = pytest.mark.django_db


def test_a_server_that_ignores_limit_start_ends_the_run_as_failed(frappe):  # noqa: F811
    for n in range(5):
        frappe.add(f"HR-{n}", stamp(7), company_email=f"p{n}@example.com")  # one instant: paging needs the offset
    frappe.ignore_limit_start = True
    started = time.perf_counter()
    run = sync_hr(page_size=2, sleep=no_sleep)
    assert time.perf_counter() - started < 5
    run.refresh_from_db()
    assert run.status == HRSyncRun.Status.FAILED and run.finished_at is not None
    assert run.error.startswith("Failed: Page 2 from the HRMS brought no new record")
    assert len(frappe.requests) == 2
    assert run.modified_until is None  # the watermark stays: the next run fetches the same records again
    assert sorted(Employee.objects.values_list("employee", flat=True)) == ["HR-0", "HR-1"]


def test_a_server_that_ignores_limit_start_is_caught_at_its_last_page_too(frappe):  # noqa: F811
    staff(frappe, 5)  # distinct instants: paging by `modified` gets every record, then the last page repeats
    frappe.ignore_limit_start = True
    run = sync_hr(page_size=2, sleep=no_sleep)
    assert run.status == HRSyncRun.Status.FAILED and "brought no new record" in run.error
    assert len(frappe.requests) == 5 and Employee.objects.count() == 5


def test_a_run_stops_after_the_page_limit(frappe, settings):  # noqa: F811
    settings.HR_SYNC_MAX_PAGES = 2
    staff(frappe, 7)
    run = sync_hr(page_size=2, sleep=no_sleep)
    assert run.status == HRSyncRun.Status.FAILED
    assert run.error.startswith("Failed: Stopped after 2 pages (HR_SYNC_MAX_PAGES) with more to fetch")
    assert len(frappe.requests) == 2 and run.modified_until is None


@pytest.mark.parametrize("other_host", ["127.0.0.2", "127.0.0.1"])  # another address, or another port
def test_a_redirect_to_another_host_is_not_followed_and_gets_no_token(frappe, other_host):  # noqa: F811
    staff(frappe, 2)
    with FakeFrappe(host=other_host) as elsewhere:
        elsewhere.add("HR-EVIL", stamp(9), company_email="evil@example.com")
        frappe.redirect_to = elsewhere.url
        frappe.failures = ["redirect"]
        run = sync_hr(sleep=no_sleep)
        assert elsewhere.requests == []  # never contacted: the Authorization header stayed home
    assert run.status == HRSyncRun.Status.FAILED
    assert run.error.startswith(f"Failed: {frappe.url} redirected to another host ({other_host}); not followed")
    assert len(frappe.requests) == 1  # not retried: a redirect is configuration, not an outage
    assert not Employee.objects.exists()


def test_a_redirect_within_the_same_host_is_followed(frappe):  # noqa: F811
    staff(frappe, 2)
    frappe.redirect_to = frappe.url
    frappe.failures = ["redirect"]
    run = sync_hr(sleep=no_sleep)
    assert run.status == HRSyncRun.Status.SUCCEEDED and Employee.objects.count() == 2
    assert [request["auth"] for request in frappe.requests] == ["token key:secret"] * 2


def test_a_huge_answer_is_cut_off_and_fails_the_run(frappe, settings):  # noqa: F811
    settings.HRMS_MAX_RESPONSE_BYTES = 1024 * 1024
    staff(frappe, 2)
    frappe.failures = ["huge"]
    started = time.perf_counter()
    run = sync_hr(sleep=no_sleep)
    assert time.perf_counter() - started < 5
    assert run.status == HRSyncRun.Status.FAILED
    assert run.error.startswith(f"Failed: {frappe.url} answered more than 1 MB (HRMS_MAX_RESPONSE_BYTES)")
    assert len(frappe.requests) == 1 and not Employee.objects.exists()


def test_plain_http_to_another_machine_is_refused_before_any_request(settings):
    settings.DEBUG = False
    settings.HRMS_URL = "http://hrms.example.com"
    run = sync_hr(sleep=no_sleep)
    assert run.status == HRSyncRun.Status.FAILED
    assert run.error.startswith("Failed: HRMS_URL must start with https://")
    assert not Employee.objects.exists()


def test_an_answer_that_is_not_a_list_of_documents_fails_the_run(frappe):  # noqa: F811
    frappe.failures = ["garbage"] * 3
    run = sync_hr(sleep=no_sleep)
    assert run.status == HRSyncRun.Status.FAILED
    assert "answered something that is not an Employee list (an item is not an object)" in run.error


class BrokenClient:
    """An HRMS client that fails in a way nobody planned for."""

    def list_employees(self, **query):
        raise RuntimeError("connection pool exploded")


def test_an_unexpected_error_ends_the_run_as_failed_never_running():
    run = sync_hr(client=BrokenClient(), sleep=no_sleep)
    run.refresh_from_db()
    assert run.status == HRSyncRun.Status.FAILED and run.finished_at is not None
    assert run.error == "Failed: RuntimeError: connection pool exploded"
