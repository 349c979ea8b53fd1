"""The desk's reconciliation and audit pages, and sign-in auditing, through the Django test client."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from smoothlms.catalog.tests.factories import BatchFactory, CourseFactory
from smoothlms.core.audit import record_event
from smoothlms.core.models import EnrollmentEvent, EventType
from smoothlms.enrollment.models import BatchEnrollment, EnrollmentStatus, Source
from smoothlms.enrollment.services import bulk_enroll
from smoothlms.people.models import Employee, User
from smoothlms.people.roles import Role
from smoothlms.people.services import set_user_roles
from smoothlms.people.tests.factories import EmployeeFactory, UserFactory, moderator

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"
EXPORT = (
    b"ID,Full Name,Company Email,Status\n"
    b"E1,Ann Enrolled,ann@corp.com,Active\n"
    b"E2,Bo Notenrolled,BO@corp.com,Active\n"
    b"E3,Cy Nouser,cy@corp.com,Active\n"
    b"E4,Di Left,di@corp.com,Left\n"
)


@pytest.fixture
def roster():
    batch = BatchFactory(seat_count=10, courses=[CourseFactory()])
    for email in ("ann@corp.com", "bo@corp.com", "di@corp.com"):
        UserFactory(email=email)
    EmployeeFactory(employee="E3", employee_name="Cy Nouser", company_email="cy@corp.com", user=None)
    bulk_enroll(batch=batch, members=["ann@corp.com", "di@corp.com"], actor=None, source=Source.DESK, notify=False)
    return batch


def upload(client, batch, data: bytes = EXPORT, name: str = "hr.csv"):
    return client.post("/desk/reconcile", {"batch": batch.name, "file": SimpleUploadedFile(name, data)}, follow=True)


def test_reconcile_page_shows_counts_and_findings_with_fixes(client, roster):
    client.force_login(UserFactory(roles=[Role.HR_MANAGER]))
    response = upload(client, roster)
    html = response.content.decode()

    assert response.status_code == 200
    report = response.context["report"]
    assert (report.hr_headcount, report.enrolled, report.matched) == (3, 2, 1)
    assert [(f.kind, f.employee, f.email) for f in report.findings] == [
        ("missing_user", "E3", "cy@corp.com"),
        ("not_enrolled", "E2", "bo@corp.com"),
        ("left_but_enrolled", "E4", "di@corp.com"),
    ]
    assert "Create User; link Employee.user_id" in html
    assert 'data-count="hr_headcount">3<' in html
    # HR managers create users; enrolling is a moderator's.
    assert 'value="create_users"' in html and 'value="enroll"' not in html


def test_reconcile_page_fixes_missing_users_then_enrolls(client, roster):
    admin = UserFactory(roles=[Role.SYSTEM_MANAGER])
    client.force_login(admin)
    response = upload(client, roster)
    token = response.context["token"]
    key = response.context["report"].of_kind("missing_user")[0].key

    response = client.post("/desk/reconcile", {"token": token, "action": "create_users", "finding": [key]}, follow=True)
    cy = User.objects.get(email="cy@corp.com")
    assert Employee.objects.get(employee="E3").user == cy and cy.full_name == "Cy Nouser"
    assert "Created 1 user" in response.content.decode()
    assert [f.employee for f in response.context["report"].of_kind("not_enrolled")] == ["E2", "E3"]

    response = client.post("/desk/reconcile", {"token": token, "action": "enroll", "all": "1"}, follow=True)
    enrolled = BatchEnrollment.objects.filter(batch=roster, status=EnrollmentStatus.ACTIVE)
    assert sorted(enrolled.values_list("member__email", flat=True)) == [
        "ann@corp.com",
        "bo@corp.com",
        "cy@corp.com",
        "di@corp.com",
    ]
    assert set(enrolled.filter(member__email__in=["bo@corp.com", "cy@corp.com"]).values_list("source", flat=True)) == {
        "desk"
    }
    assert "Enrolled 2 in" in response.content.decode()
    report = response.context["report"]
    assert [f.kind for f in report.findings] == ["left_but_enrolled"] and report.matched == 3


def test_hr_manager_cannot_enroll_from_the_report(client, roster):
    client.force_login(UserFactory(roles=[Role.HR_MANAGER]))
    token = upload(client, roster).context["token"]
    response = client.post("/desk/reconcile", {"token": token, "action": "enroll", "all": "1"})
    assert response.status_code == 403
    assert not BatchEnrollment.objects.filter(member__email="bo@corp.com").exists()


def test_reconcile_page_refuses_an_unusable_file_on_the_form(client, roster):
    client.force_login(moderator())
    response = upload(client, roster, data=b"Full Name,Status\nA,Active\n")
    assert response.status_code == 200
    assert "The file has no ID column" in response.content.decode()
    assert "report" not in response.context


def test_a_stale_report_token_asks_for_the_file_again(client, roster):
    client.force_login(moderator())
    response = client.post("/desk/reconcile", {"token": "nope", "action": "enroll", "all": "1"}, follow=True)
    assert "no longer available" in response.content.decode()


@pytest.mark.parametrize(
    "path", ["/desk/reconcile", "/desk/audit", "/desk/audit/roles", "/desk/audit/export?export=audit-log"]
)
def test_students_get_403_and_anonymous_users_the_login(client, path):
    response = client.get(path, follow=True)
    assert response.redirect_chain and response.redirect_chain[-1][0].startswith("/login")
    client.force_login(UserFactory())
    assert client.get(path, follow=True).status_code == 403


def test_batch_evaluators_and_hr_managers_do_not_read_the_audit_log(client):
    client.force_login(UserFactory(roles=[Role.BATCH_EVALUATOR]))
    assert client.get("/desk/audit").status_code == 403
    assert client.get("/desk/reconcile").status_code == 403
    client.force_login(UserFactory(roles=[Role.HR_MANAGER]))
    assert client.get("/desk/audit").status_code == 403


@pytest.fixture
def events():
    batch, other = BatchFactory(title="Leadership"), BatchFactory(title="Safety")
    actor = moderator(email="boss@corp.com")
    member = UserFactory(email="m@corp.com")
    record_event(EventType.OVERRIDE, actor=actor, batch=batch, member=member, reason="joined late")
    record_event(EventType.CANCELLED, actor=actor, batch=other, member=member, reason="moved")
    record_event(EventType.ENROLLED, batch=batch, member=UserFactory(email="n@corp.com"))
    return batch, other, actor, member


def test_audit_log_filters_by_cohort_member_actor_kind_and_day(client, events):
    batch, other, actor, member = events
    client.force_login(moderator())

    def kinds(**params) -> list[str]:
        response = client.get("/desk/audit", params)
        assert response.status_code == 200
        return [row["event"].kind for row in response.context["rows"]]

    assert kinds(batch=batch.name) == ["enrolled", "override"]
    assert kinds(member="M@corp.com", kind="cancelled") == ["cancelled"]
    assert kinds(actor="boss@corp.com") == ["cancelled", "override"]
    assert kinds(until="2000-01-01") == []
    response = client.get("/desk/audit", {"since": "2030-01-02", "until": "2030-01-01"})
    assert "The end day is before the start day." in response.content.decode()


def test_audit_log_pages_with_constant_queries(client, events):
    batch, _, actor, member = events
    client.force_login(moderator())
    client.get("/desk/audit")  # warm the session and permission caches

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/desk/audit").status_code == 200
        return len(captured)

    few = queries()
    EnrollmentEvent.objects.bulk_create(
        [
            EnrollmentEvent(kind=EventType.ENROLLED, batch=batch, member=member, actor=actor, actor_email=actor.email)
            for _ in range(120)
        ]
    )
    assert queries() == few
    response = client.get("/desk/audit", {"page": 3})
    total = EnrollmentEvent.objects.count()  # 123 and the sign-in events of this test
    assert response.context["page"].number == 3 and len(response.context["rows"]) == total - 100


def test_audit_log_download_applies_the_filters_and_defuses_formulas(client, events):
    batch, _, actor, member = events
    record_event(EventType.OVERRIDE, actor=actor, batch=batch, member=member, reason="=cmd|' /C calc'!A0")
    client.force_login(moderator())
    response = client.get("/desk/audit/export", {"export": "audit-log", "batch": batch.name, "kind": "override"})
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))

    assert response["Content-Type"].startswith("text/csv")
    assert sorted(row["reason"] for row in rows) == ["'=cmd|' /C calc'!A0", "joined late"]


def test_exports_need_the_permission_of_their_records(client):
    client.force_login(UserFactory(roles=[Role.HR_MANAGER]))
    assert client.get("/desk/audit/export", {"export": "certificates"}).status_code == 403
    assert client.get("/desk/audit/export", {"export": "batch-enrollments"}).status_code == 200
    assert client.get("/desk/audit/export", {"export": "passwords"}).status_code == 404


def test_sign_ins_and_failures_are_audited_with_their_address(client):
    user = UserFactory(email="sign@corp.com", password=PASSWORD, roles=[Role.MODERATOR])
    client.post("/login", {"username": "Sign@Corp.com", "password": "wrong password"}, REMOTE_ADDR="203.0.113.9")
    client.post("/login", {"username": "sign@corp.com", "password": PASSWORD}, REMOTE_ADDR="203.0.113.7")

    failed = EnrollmentEvent.objects.get(kind=EventType.LOGIN_FAILED)
    assert (failed.member, failed.remote_addr, failed.after) == (user, "203.0.113.9", {"email": "sign@corp.com"})
    login = EnrollmentEvent.objects.get(kind=EventType.LOGIN)
    assert (login.member, login.actor, login.remote_addr) == (user, user, "203.0.113.7")
    client.logout()
    client.post("/login", {"username": "nobody@corp.com", "password": "x"}, REMOTE_ADDR="not an address")
    unknown = EnrollmentEvent.objects.filter(kind=EventType.LOGIN_FAILED).order_by("-id").first()
    assert (unknown.member, unknown.remote_addr, unknown.after) == (None, None, {"email": "nobody@corp.com"})


def test_role_audit_lists_staff_roles_with_last_sign_in_and_exports_csv(client):
    mod = UserFactory(email="mod@corp.com", password=PASSWORD, full_name='=HYPERLINK("x")', roles=[Role.MODERATOR])
    creator = UserFactory(email="creator@corp.com", roles=[Role.COURSE_CREATOR])
    UserFactory(email="student@corp.com")
    UserFactory(email="hr@corp.com", roles=[Role.HR_MANAGER])
    set_user_roles(user=creator, roles=[Role.COURSE_CREATOR, Role.LMS_STUDENT], actor=None)
    client.post("/login", {"username": "mod@corp.com", "password": PASSWORD}, REMOTE_ADDR="198.51.100.4")
    admin = UserFactory(email="admin@corp.com", roles=[Role.SYSTEM_MANAGER])
    client.force_login(admin)

    response = client.get("/desk/audit/roles")
    emails = [row["user"].email for row in response.context["rows"]]
    assert sorted(emails) == ["admin@corp.com", "creator@corp.com", "mod@corp.com"]
    by_email = {row["user"].email: row for row in response.context["rows"]}
    assert by_email["mod@corp.com"]["last_login"] is not None
    assert by_email["mod@corp.com"]["user"].last_login_from == "198.51.100.4"
    assert by_email["creator@corp.com"]["roles_changed_at"] is not None
    assert mod.email in response.content.decode()

    response = client.get("/desk/audit/roles", {"format": "csv"})
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    mod_row = next(row for row in rows if row["email"] == "mod@corp.com")
    assert mod_row["full_name"] == '\'=HYPERLINK("x")' and mod_row["last_login_from"] == "198.51.100.4"
