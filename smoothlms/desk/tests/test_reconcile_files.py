"""/desk/reconcile keeps the HR export in a kept file (only its token in the session) and offers
the rows with findings as a CSV download with a `problem` column."""

from __future__ import annotations

import csv
import io
import os
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from smoothlms.catalog.tests.factories import BatchFactory, CourseFactory
from smoothlms.core import uploads
from smoothlms.desk.reconcile import SESSION_KEY
from smoothlms.enrollment.models import Source
from smoothlms.enrollment.services import bulk_enroll
from smoothlms.people.roles import Role
from smoothlms.people.tests.factories import EmployeeFactory, UserFactory

pytestmark = pytest.mark.django_db

EXPORT = (
    b"ID,Full Name,Company Email,Status,Department\n"
    b"E1,Ann Enrolled,ann@corp.com,Active,Sales\n"
    b"E2,Bo Notenrolled,BO@corp.com,Active,Ops\n"
    b"E3,Cy Nouser,cy@corp.com,Active,Ops\n"
    b"E4,Di Left,di@corp.com,Left,HR\n"
)


@pytest.fixture
def roster():
    batch = BatchFactory(name="q3-starters", seat_count=10, courses=[CourseFactory()])
    for email in ("ann@corp.com", "bo@corp.com", "di@corp.com", "zed@corp.com"):
        UserFactory(email=email)
    EmployeeFactory(employee="E3", employee_name="Cy Nouser", company_email="cy@corp.com", user=None)
    bulk_enroll(
        batch=batch,
        members=["ann@corp.com", "di@corp.com", "zed@corp.com"],
        actor=None,
        source=Source.DESK,
        notify=False,
    )
    return batch


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(roles=[Role.SYSTEM_MANAGER]))
    return client


def upload(client, batch):
    return client.post(
        "/desk/reconcile", {"batch": batch.name, "file": SimpleUploadedFile("hr.csv", EXPORT)}, follow=True
    )


def test_the_rows_with_findings_download_as_written_with_their_problem(admin_client, roster):
    response = upload(admin_client, roster)
    kinds = sorted(f.kind for f in response.context["report"].findings)
    assert kinds == ["enrolled_not_in_hr", "left_but_enrolled", "missing_user", "not_enrolled"]
    url = response.context["problems_url"]
    assert url.replace("&", "&amp;") in response.content.decode()
    download = admin_client.get(url)
    assert download.status_code == 200 and "attachment" in download["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(b"".join(download.streaming_content).decode("utf-8-sig"))))
    assert rows[0] == ["ID", "Full Name", "Company Email", "Status", "Department", "problem"]
    # Ann matches (no row); zed is enrolled but not in the file (no row to name).
    assert [(row[0], row[5].split(":")[0]) for row in rows[1:]] == [
        ("E2", "not_enrolled"),
        ("E3", "missing_user"),
        ("E4", "left_but_enrolled"),
    ]
    assert rows[1][:5] == ["E2", "Bo Notenrolled", "BO@corp.com", "Active", "Ops"]


def test_the_session_holds_only_the_token_of_the_kept_file(admin_client, roster, kept_uploads):
    upload(admin_client, roster)
    stored = admin_client.session[SESSION_KEY]
    assert set(stored) == {"token", "batch", "filename"}
    assert "corp.com" not in repr(dict(admin_client.session.items()))
    assert uploads.path_of(stored["token"]).read_bytes() == EXPORT

    upload(admin_client, roster)  # another file replaces the first
    assert not (kept_uploads / f"{stored['token']}.upload").exists()
    assert len(list(kept_uploads.iterdir())) == 1


def test_a_report_more_than_a_day_old_is_gone(admin_client, roster):
    token = upload(admin_client, roster).context["token"]
    old = time.time() - 25 * 3600
    os.utime(uploads.path_of(token), (old, old))
    response = admin_client.get(f"/desk/reconcile?report={token}&download=problems", follow=True)
    assert "no longer available" in response.content.decode()


def test_another_session_cannot_read_the_report(admin_client, roster):
    token = upload(admin_client, roster).context["token"]
    other = Client()
    other.force_login(UserFactory(roles=[Role.SYSTEM_MANAGER]))
    response = other.get(f"/desk/reconcile?report={token}&download=problems", follow=True)
    assert "no longer available" in response.content.decode()
