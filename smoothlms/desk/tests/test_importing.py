"""Importing LMS Batch Enrollments in the desk: preview (nothing written), then apply."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from smoothlms.desk.tests.conftest import messages_of
from smoothlms.enrollment.models import BatchEnrollment, Source
from smoothlms.enrollment.services import enroll

pytestmark = pytest.mark.django_db
URL = "/app/enrollment/batchenrollment/import/"


def upload(content: bytes, name: str = "roster.csv", **fields):
    return {"file": SimpleUploadedFile(name, content), "notify": "on", **fields}


def rows_of(response):
    return [(r["row"], r["member"], r["status"], r["message"]) for r in response.context["rows"]]


def test_preview_then_apply_then_reimport_skips_everything(mod_client, mod, cohort, learners):
    enroll(batch=cohort, member=learners[2], actor=None, source=Source.PORTAL)
    content = ("\ufeffMember;Batch;Department\nl0@example.com;new-hires;Sales\nl1@example.com;New Hires;Sales\n"
               "l2@example.com;new-hires;Ops\nwho@example.com;new-hires;Ops\n").encode()
    preview = mod_client.post(URL, upload(content))
    assert preview.status_code == 200 and preview.context["preview"]
    assert sorted(rows_of(preview)) == [
        (2, "l0@example.com", "created", ""), (3, "l1@example.com", "created", ""),
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


@pytest.mark.parametrize("content, message", [
    (b"email,batch\nl0@example.com,new-hires\n", "The file has no member column: add a header named member or Member."),
    ("member,batch\nrené@example.com,new-hires\n".encode("latin-1"), "The file is not UTF-8 text: byte 0xE9 on line 2"),
    (b"member\nl0@example.com\n", "The file has no batch column"),
    (b"", "The submitted file is empty."),
])
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
