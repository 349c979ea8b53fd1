"""Importing LMS Batch Enrollments in the desk: preview (nothing written), then apply."""

import csv
import io
import os
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import Workbook

from smoothlms.core import uploads
from smoothlms.desk.importing import SESSION_KEY
from smoothlms.desk.tests.conftest import messages_of
from smoothlms.enrollment.models import BatchEnrollment, Source
from smoothlms.enrollment.services import enroll
from smoothlms.people.tests.factories import moderator

pytestmark = pytest.mark.django_db
URL = "/app/enrollment/batchenrollment/import/"


def upload(content: bytes, name: str = "roster.csv", **fields):
    return {"file": SimpleUploadedFile(name, content), "notify": "on", **fields}


def rows_of(response):
    return [(r["row"], r["member"], r["status"], r["message"]) for r in response.context["rows"]]


def test_preview_then_apply_then_reimport_skips_everything(mod_client, mod, cohort, learners):
    enroll(batch=cohort, member=learners[2], actor=None, source=Source.PORTAL)
    content = (
        "\ufeffMember;Batch;Department\nl0@example.com;new-hires;Sales\nl1@example.com;New Hires;Sales\n"
        "l2@example.com;new-hires;Ops\nwho@example.com;new-hires;Ops\n"
    ).encode()
    preview = mod_client.post(URL, upload(content))
    assert preview.status_code == 200 and preview.context["preview"]
    assert sorted(rows_of(preview)) == [
        (2, "l0@example.com", "created", ""),
        (3, "l1@example.com", "created", ""),
        (4, "l2@example.com", "skipped", "l2@example.com is already enrolled for this cohort."),
        (5, "who@example.com", "failed", "No user with email who@example.com."),
    ]
    html = preview.content.decode()
    assert "2 will be enrolled" in html and "Ignored columns (not part of an enrollment): Department" in html
    assert BatchEnrollment.objects.count() == 1  # the preview wrote nothing

    applied = mod_client.post(URL, {"apply": "1", "token": preview.context["token"]})
    assert applied.status_code == 200 and not applied.context["preview"]
    assert "Import applied: 2 enrolled, 1 skipped, 1 failed." in messages_of(applied)
    made = BatchEnrollment.objects.get(member=learners[0])
    assert (made.source, made.created_by) == (Source.IMPORT, mod)
    cohort.refresh_from_db()
    assert cohort.seats_taken == 3

    again = mod_client.post(URL, upload(content))
    assert [r[2] for r in sorted(rows_of(again))] == ["skipped", "skipped", "skipped", "failed"]
    assert "Nothing to apply" in again.content.decode()
    mod_client.post(URL, {"apply": "1", "token": again.context["token"]})
    assert BatchEnrollment.objects.count() == 3


def test_a_preview_is_applied_once(mod_client, cohort, learners):
    preview = mod_client.post(URL, upload(b"member,batch\nl0@example.com,new-hires\n"))
    token = preview.context["token"]
    mod_client.post(URL, {"apply": "1", "token": token})
    second = mod_client.post(URL, {"apply": "1", "token": token}, follow=True)
    assert any("no longer available" in m for m in messages_of(second))
    assert BatchEnrollment.objects.count() == 1


def test_the_chosen_cohort_takes_rows_without_a_batch_column(mod_client, cohort, learners):
    preview = mod_client.post(URL, upload(b"member\nl0@example.com\n", batch="new-hires"))
    assert rows_of(preview) == [(2, "l0@example.com", "created", "")]


def test_a_bad_row_shows_its_reason(mod_client, cohort, learners):
    preview = mod_client.post(URL, upload(b"member,batch\nl0@example.com,nowhere\n"))
    assert "No cohort named nowhere." in preview.content.decode()


@pytest.mark.parametrize(
    "content, message",
    [
        (
            b"email,batch\nl0@example.com,new-hires\n",
            "The file has no member column: add a header named member or Member.",
        ),
        (
            "member,batch\nrené@example.com,new-hires\n".encode("latin-1"),
            "The file is not UTF-8 text: byte 0xE9 on line 2",
        ),
        (b"member\nl0@example.com\n", "The file has no batch column"),
        (b"", "The submitted file is empty."),
    ],
)
def test_file_level_errors_are_shown_and_nothing_is_written(mod_client, cohort, learners, content, message):
    response = mod_client.post(URL, upload(content))
    assert response.status_code == 200 and "token" not in response.context
    assert message in response.content.decode()
    assert not BatchEnrollment.objects.exists()


def test_xlsx_upload_is_previewed_and_applied(mod_client, cohort, learners):
    book = Workbook()
    book.active.append(["member", "batch"])
    book.active.append(["l0@example.com", "new-hires"])
    book.active.append(["=1+1", "new-hires"])
    out = io.BytesIO()
    book.save(out)
    preview = mod_client.post(URL, upload(out.getvalue(), "roster.xlsx"))
    statuses = sorted((r["row"], r["status"]) for r in preview.context["rows"])
    assert statuses == [(2, "created"), (3, "failed")]
    assert "holds the formula =1+1 with no saved result" in preview.content.decode()
    mod_client.post(URL, {"apply": "1", "token": preview.context["token"]})
    assert BatchEnrollment.objects.filter(member=learners[0]).exists()


def test_import_page_links_from_the_cohort(mod_client, cohort):
    html = mod_client.get(f"{URL}?batch=new-hires").content.decode()
    assert '<option value="new-hires" selected>' in html


def csv_rows(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


MIXED = (
    b"Member;Batch;Department\nl0@example.com;new-hires;Sales\nwho@example.com;new-hires;Ops\n"
    b"l1@example.com;nowhere;Ops\nl0@example.com;new-hires;Sales\n;new-hires;HR\n"
)
FAILED_ROWS = [
    ["Member", "Batch", "Department", "problem"],
    ["who@example.com", "new-hires", "Ops", "user_not_found: No user with email who@example.com."],
    ["l1@example.com", "nowhere", "Ops", "not_found: No cohort named nowhere."],
    ["", "new-hires", "HR", "member_required: The row names no member: fill its member (or User ID or email) cell."],
]


def test_the_failed_rows_download_lists_exactly_the_failed_rows(mod_client, cohort, learners):
    preview = mod_client.post(URL, upload(MIXED))
    assert preview.context["report"].failed == 3
    html = preview.content.decode()
    assert "Download the failed rows (CSV)" in html and preview.context["failed_url"] in html
    download = mod_client.get(preview.context["failed_url"])
    assert download.status_code == 200 and download["Content-Type"].startswith("text/csv")
    assert csv_rows(download) == FAILED_ROWS  # the duplicate row is skipped, not failed

    applied = mod_client.post(URL, {"apply": "1", "token": preview.context["token"]})
    assert csv_rows(mod_client.get(applied.context["failed_url"])) == FAILED_ROWS
    assert BatchEnrollment.objects.filter(member=learners[0]).count() == 1


def test_a_file_without_failures_offers_no_download(mod_client, cohort, learners):
    preview = mod_client.post(URL, upload(b"member,batch\nl0@example.com,new-hires\n"))
    assert preview.context["failed_url"] == "" and "Download the failed rows" not in preview.content.decode()


def test_another_session_cannot_download_the_failed_rows(mod_client, client, cohort, learners):
    url = mod_client.post(URL, upload(MIXED)).context["failed_url"]
    other = Client()
    other.force_login(moderator(email="other-mod@example.com"))
    assert other.get(url).status_code == 404
    assert other.get(f"{URL}?failed=not-a-token").status_code == 404


def test_the_session_holds_only_a_token_and_the_file_is_removed_once_applied(
    mod_client, cohort, learners, kept_uploads
):
    preview = mod_client.post(URL, upload(MIXED))
    session = mod_client.session
    stored = session[SESSION_KEY]
    assert set(stored) == {"token", "filename", "batch", "override_start", "reason", "notify"}
    held = repr(dict(session.items()))
    assert "who@example.com" not in held and len(held) < 1000  # no file content, compressed or not
    kept = uploads.path_of(stored["token"])
    assert kept.parent == kept_uploads and kept.read_bytes() == MIXED

    mod_client.post(URL, {"apply": "1", "token": preview.context["token"]})
    assert not kept.exists() and SESSION_KEY not in mod_client.session
    assert [p.suffix for p in kept_uploads.iterdir()] == [".csv", ".csv"]  # the two failed-row files only


def test_a_preview_more_than_a_day_old_is_not_applied_and_is_pruned(mod_client, cohort, learners):
    preview = mod_client.post(URL, upload(b"member,batch\nl0@example.com,new-hires\n"))
    kept = uploads.path_of(preview.context["token"])
    old = time.time() - 25 * 3600
    os.utime(kept, (old, old))
    refused = mod_client.post(URL, {"apply": "1", "token": preview.context["token"]}, follow=True)
    assert any("no longer available" in m for m in messages_of(refused))
    assert not BatchEnrollment.objects.exists() and not kept.exists()

    again = mod_client.post(URL, upload(b"member,batch\nl0@example.com,new-hires\n"))
    other = uploads.path_of(again.context["token"])
    os.utime(other, (old, old))
    assert uploads.prune() == 1 and not other.exists()
