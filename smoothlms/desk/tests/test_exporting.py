"""Exports of enrollments from the desk lists: CSV (streamed) and XLSX, safe against formula injection."""

import io

import pytest
from openpyxl import load_workbook

from smoothlms.catalog.tests.factories import BatchFactory
from smoothlms.enrollment.models import BatchEnrollment
from smoothlms.enrollment.services import enroll
from smoothlms.people.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def hostile(cohort):
    user = UserFactory(email="eve@example.com", full_name='=HYPERLINK("http://evil.example","click")')
    return enroll(batch=cohort, member=user, actor=None, source="desk")


def csv_of(response) -> str:
    return b"".join(response.streaming_content).decode("utf-8")


def test_csv_export_of_a_cohort_is_streamed_and_escaped(mod_client, cohort, learners, hostile):
    enroll(batch=cohort, member=learners[0], actor=None, source="desk")
    other = BatchFactory()
    enroll(batch=other, member=learners[1], actor=None, source="desk")
    response = mod_client.get("/app/enrollment/batchenrollment/export/csv/?batch=new-hires")
    assert response.streaming and response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="lms-batch-enrollments-new-hires-' in response["Content-Disposition"]
    text = csv_of(response)
    lines = text.splitlines()
    assert lines[0] == (
        "\ufeffname,batch,batch_title,member,member_name,member_type,status,source,"
        "confirmation_email_status,confirmation_email_sent,override_reason,created_at,cancelled_at"
    )
    assert len(lines) == 3 and "l1@example.com" not in text
    assert '"\'=HYPERLINK(""http://evil.example"",""click"")"' in text
    assert f"BE-{hostile.pk:06d},new-hires,New Hires,eve@example.com" in text


def test_xlsx_export_keeps_hostile_text_inert(mod_client, cohort, hostile):
    response = mod_client.get("/app/enrollment/batchenrollment/export/xlsx/?status__exact=active")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0][:4] == ["name", "batch", "batch_title", "member"]
    assert rows[1][4] == '\'=HYPERLINK("http://evil.example","click")'
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def test_export_follows_the_lists_search(mod_client, cohort, learners, hostile):
    enroll(batch=cohort, member=learners[0], actor=None, source="desk")
    text = csv_of(mod_client.get("/app/enrollment/batchenrollment/export/csv/?q=eve"))
    assert "eve@example.com" in text and "l0@example.com" not in text


def test_export_action_of_selected_rows(mod_client, cohort, learners, hostile):
    kept = enroll(batch=cohort, member=learners[0], actor=None, source="desk")
    response = mod_client.post(
        "/app/enrollment/batchenrollment/", {"action": "export_csv", "_selected_action": [kept.pk]}
    )
    text = csv_of(response)
    assert "l0@example.com" in text and "eve@example.com" not in text
    response = mod_client.post(
        "/app/enrollment/batchenrollment/", {"action": "export_xlsx", "_selected_action": [kept.pk]}
    )
    assert load_workbook(io.BytesIO(response.content)).active.max_row == 2


def test_list_offers_the_exports_with_its_filters(mod_client, cohort, hostile):
    html = mod_client.get("/app/enrollment/batchenrollment/?status__exact=active").content.decode()
    assert "/app/lms-batch-enrollment/export/csv?status__exact=active" in html
    assert BatchEnrollment.objects.count() == 1
