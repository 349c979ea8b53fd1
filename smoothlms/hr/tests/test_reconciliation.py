"""Roster reconciliation against a messy HR export: every finding by kind and employee, nothing else."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from smoothlms.catalog.models import Batch
from smoothlms.catalog.tests.factories import BatchFactory, CourseFactory
from smoothlms.core.models import EnrollmentEvent, EventType
from smoothlms.csvio.employees import read_hr_export, reconcile_file
from smoothlms.csvio.errors import FileUnusable, MissingColumn
from smoothlms.enrollment.models import Source
from smoothlms.enrollment.services import bulk_enroll
from smoothlms.hr.reconciliation import (
    FIX_CREATE_USER,
    FIX_ENROLL,
    FIX_SEATS,
    FIX_STARTED,
    create_missing_user,
    get_roster_reconciliation,
)
from smoothlms.people.errors import UserExists
from smoothlms.people.models import Employee, EmployeeStatus, User
from smoothlms.people.services import set_user_enabled
from smoothlms.people.tests.factories import EmployeeFactory, UserFactory

pytestmark = pytest.mark.django_db

HEADER = "ID,Full Name,Company Email,Personal Email,User ID,Status\n"

# One line per situation; the comment says what the LMS side holds (built in `messy`).
MESSY_EXPORT = HEADER + "\n".join(
    [
        "E001,Asha Rao,Asha.Rao@Corp.com,,,Active",  # case variant of the enrolled user
        "E002,Ben Ode,ben@corp.com,,,Active",  # enrolled as ben+lms@corp.com
        "E003,Chen Wu,chen@corp.co.uk,,,Active",  # alias domain: enrolled as chen@corp.com
        "E004,Dana Lee,,dana.lee@googlemail.com,,Active",  # Gmail dots and googlemail: danalee@gmail.com
        "E005,Eve Ross,eve@corp.com,,eve.r@corp.com,Active",  # rehire: old eve@corp.com disabled, new eve.r enrolled
        "E006,Finn Berg,finn@corp.com,,,Left",  # leaver still enrolled
        "E007,Gita Pal,gita@corp.com,,,Active",  # Employee record with no user
        "E009,Hana Sato,hana@corp.com,,,Active",  # user exists, not enrolled
        "E010,Ivan Petrov,ivan@corp.com,,,Active",  # user disabled
        "E011,Jo Smith,jo@corp.com,jo.smith@gmail.com,,Active",  # two enabled users for one person
        "E012,Kai Berg,kai@corp.com,,,Inactive",  # enrolled, on leave: not a mismatch
        "E013,Lea Marx,lea@corp.com,,,Left",  # rehired under E113 with the same user
        "E113,Lea Marx,lea@corp.com,,,Active",
        "E015,Nina Park,nina@corp.com,,,Active",  # email changed in HR; HR id links nina.old@
        "E016,Omar Aziz,,,  OMAR@corp.com ,active",  # spaces and case in User ID and Status
        "E016,Omar Aziz,,,omar@corp.com,Active",  # the same HR id twice: one person
        "",
    ]
)


@pytest.fixture
def alias_domains(settings):
    settings.EMAIL_ALIAS_DOMAINS = [frozenset({"corp.com", "corp.co.uk"})]


@pytest.fixture
def messy(alias_domains):
    batch = BatchFactory(seat_count=40, courses=[CourseFactory()])
    enrolled = [
        "asha.rao@corp.com",
        "ben+lms@corp.com",
        "chen@corp.com",
        "danalee@gmail.com",
        "eve.r@corp.com",
        "finn@corp.com",
        "contractor@agency.com",
        "jo@corp.com",
        "kai@corp.com",
        "lea@corp.com",
        "mo@corp.com",
        "nina.old@corp.com",
        "omar@corp.com",
    ]
    users = {email: UserFactory(email=email) for email in enrolled + ["hana@corp.com", "josmith@gmail.com"]}
    old_eve = UserFactory(email="eve@corp.com")
    ivan = UserFactory(email="ivan@corp.com")
    set_user_enabled(user=old_eve, enabled=False, actor=None)
    set_user_enabled(user=ivan, enabled=False, actor=None)
    EmployeeFactory(employee="E005", user=old_eve, status=EmployeeStatus.LEFT, company_email="eve@corp.com")
    EmployeeFactory(employee="E007", user=None, company_email="gita@corp.com")
    EmployeeFactory(employee="E013", user=users["lea@corp.com"], status=EmployeeStatus.LEFT)
    EmployeeFactory(employee="E014", user=users["mo@corp.com"])  # a contractor's record, not in this export
    EmployeeFactory(employee="E015", user=users["nina.old@corp.com"], company_email="nina.old@corp.com")
    result = bulk_enroll(batch=batch, members=enrolled, actor=None, source=Source.DESK, notify=False)
    assert result.created == len(enrolled), result.results
    batch.refresh_from_db()
    return batch


def reconcile(batch: Batch, text: str):
    return reconcile_file(batch=batch, data=text.encode(), filename="hr.csv")


def kinds(report) -> list[tuple[str, str | None, str]]:
    return [(f.kind, f.employee, f.email) for f in report.findings]


def test_messy_export_names_every_mismatch_and_nothing_else(messy):
    report = reconcile(messy, MESSY_EXPORT)

    assert kinds(report) == [
        ("missing_user", "E007", "gita@corp.com"),
        ("user_disabled", "E010", "ivan@corp.com"),
        ("not_enrolled", "E009", "hana@corp.com"),
        ("enrolled_not_in_hr", None, "contractor@agency.com"),
        ("enrolled_not_in_hr", "E014", "mo@corp.com"),
        ("left_but_enrolled", "E006", "finn@corp.com"),
        ("duplicate_alias", "E011", "jo@corp.com"),
        ("rehire_duplicate", "E005", "eve.r@corp.com"),
    ]
    # Active rows: all but E006, E012, E013 and the repeated E016.
    assert (report.hr_headcount, report.enrolled, report.matched) == (12, 13, 9)
    as_dict = report.as_dict()
    assert list(as_dict) == ["batch", "hr_headcount", "enrolled", "matched", "findings"]
    assert as_dict["batch"] == messy.name
    assert all({"kind", "employee", "email", "detail"} <= set(f) for f in as_dict["findings"])


def test_the_file_streamed_as_records_and_its_rows_give_the_same_report(messy):
    # reconcile_file reads the file's records (csvio TableStream.records); get_roster_reconciliation
    # takes rows as the reader gives them. The messy export has every shape: emails in several
    # columns, spaces and case, a repeated HR id, Left and Inactive rows.
    from_rows = get_roster_reconciliation(
        batch=messy, rows=read_hr_export(MESSY_EXPORT.encode(), filename="hr.csv").rows
    )
    assert from_rows.as_dict() == reconcile(messy, MESSY_EXPORT).as_dict()
    assert len(from_rows.findings) == 8


def test_each_finding_carries_its_fix(messy):
    report = reconcile(messy, MESSY_EXPORT)
    by_kind = {f.kind: f for f in report.findings}

    assert by_kind["missing_user"].fix == FIX_CREATE_USER == "Create User; link Employee.user_id"
    assert by_kind["missing_user"].detail.endswith("Fix: Create User; link Employee.user_id.")
    assert by_kind["not_enrolled"].fix == FIX_ENROLL
    assert "disabled old user (eve@corp.com)" in by_kind["rehire_duplicate"].detail
    assert "re-enabled" in by_kind["rehire_duplicate"].fix
    assert by_kind["duplicate_alias"].users == ["jo@corp.com", "josmith@gmail.com"]
    assert "Cancel the enrollment" in by_kind["left_but_enrolled"].fix
    assert "(Employee record E014)" in [f for f in report.findings if f.employee == "E014"][0].detail


def test_without_the_alias_domain_setting_the_alias_is_a_mismatch(messy, settings):
    settings.EMAIL_ALIAS_DOMAINS = []
    report = reconcile(messy, MESSY_EXPORT)

    assert ("missing_user", "E003", "chen@corp.co.uk") in kinds(report)
    assert ("enrolled_not_in_hr", None, "chen@corp.com") in kinds(report)
    assert report.matched == 8


def test_a_clean_export_has_no_findings(alias_domains):
    batch = BatchFactory(seat_count=5)
    for email in ("a@corp.com", "b@corp.com"):
        UserFactory(email=email)
    bulk_enroll(batch=batch, members=["a@corp.com", "b@corp.com"], actor=None, source=Source.DESK, notify=False)
    report = reconcile(batch, HEADER + "E1,A,A@corp.co.uk,,,Active\nE2,B,,,b@corp.com,Active\n")

    assert report.findings == []
    assert (report.hr_headcount, report.enrolled, report.matched) == (2, 2, 2)


def test_not_enrolled_beyond_the_seats_left_are_told_to_add_seats():
    batch = BatchFactory(seat_count=2)
    for email in ("a@corp.com", "b@corp.com", "c@corp.com"):
        UserFactory(email=email)
    bulk_enroll(batch=batch, members=["a@corp.com"], actor=None, source=Source.DESK, notify=False)
    report = reconcile(batch, HEADER + "E1,A,a@corp.com,,,Active\nE2,B,b@corp.com,,,Active\nE3,C,c@corp.com,,,Active\n")

    assert [(f.employee, f.fix) for f in report.of_kind("not_enrolled")] == [("E2", FIX_ENROLL), ("E3", FIX_SEATS)]
    assert "1 seat left for 2 people" in report.of_kind("not_enrolled")[1].detail


def test_not_enrolled_in_a_started_cohort_points_at_the_override():
    today = timezone.localdate()
    batch = BatchFactory(start_date=today - dt.timedelta(days=2), end_date=today + dt.timedelta(days=20))
    UserFactory(email="a@corp.com")
    report = reconcile(batch, HEADER + "E1,A,a@corp.com,,,Active\n")

    assert [f.fix for f in report.findings] == [FIX_STARTED]


def test_an_export_without_status_counts_every_row_as_active():
    batch = BatchFactory()
    UserFactory(email="a@corp.com")
    report = reconcile(batch, "employee,company_email\nE1,a@corp.com\n")

    assert report.hr_headcount == 1 and kinds(report) == [("not_enrolled", "E1", "a@corp.com")]


def test_a_row_with_no_hr_id_has_a_null_employee():
    batch = BatchFactory()
    report = reconcile(batch, "Full Name,Company Email,Status\nNo Id,noid@corp.com,Active\n")

    assert kinds(report) == [("missing_user", None, "noid@corp.com")]


def test_a_file_with_neither_id_nor_email_is_refused():
    with pytest.raises(MissingColumn) as caught:
        read_hr_export(b"Full Name,Status\nA,Active\n", filename="hr.csv")
    assert caught.value.code == "missing_column"
    with pytest.raises(FileUnusable):
        read_hr_export(b"", filename="hr.csv")


def test_queries_do_not_grow_with_the_export(alias_domains):
    batch = BatchFactory(seat_count=None)
    emails = [f"p{i}@corp.com" for i in range(30)]
    for email in emails:
        UserFactory(email=email)
    bulk_enroll(batch=batch, members=emails[:20], actor=None, source=Source.DESK, notify=False)

    def count(rows: int) -> int:
        table = read_hr_export(
            (HEADER + "".join(f"E{i},P,{emails[i]},,,Active\n" for i in range(rows))).encode(), filename="hr.csv"
        )
        with CaptureQueriesContext(connection) as queries:
            get_roster_reconciliation(batch=batch, rows=table.rows)
        return len(queries)

    assert count(3) == count(18) <= 5  # both leave enrolled members that no row names


def test_create_missing_user_links_the_employee_record():
    EmployeeFactory(employee="E7", user=None, company_email="gita@corp.com")
    actor = UserFactory(email="hr@corp.com")
    user = create_missing_user(email="Gita@Corp.com", full_name="Gita Pal", employee="E7", actor=actor)

    assert Employee.objects.get(employee="E7").user == user
    assert user.email == "gita@corp.com" and user.role_names == {"LMS Student"}
    event = EnrollmentEvent.objects.get(kind=EventType.EMPLOYEE_CHANGED, member=user)
    assert event.actor == actor and event.after == {"employee": "E7", "user_id": "gita@corp.com"}


def test_create_missing_user_refuses_an_existing_email_and_links_nothing():
    existing = UserFactory(email="gita@corp.com")
    EmployeeFactory(employee="E7", user=None)
    with pytest.raises(UserExists):
        create_missing_user(email="GITA@corp.com", employee="E7", actor=None)
    assert Employee.objects.get(employee="E7").user is None
    assert User.objects.filter(email="gita@corp.com").get() == existing


def test_create_missing_user_leaves_a_linked_record_alone():
    other = UserFactory(email="other@corp.com")
    EmployeeFactory(employee="E7", user=other)
    user = create_missing_user(email="gita@corp.com", employee="E7", actor=None)

    assert Employee.objects.get(employee="E7").user == other
    assert not EnrollmentEvent.objects.filter(kind=EventType.EMPLOYEE_CHANGED, member=user).exists()


def test_users_in_other_domains_are_not_read_but_the_hr_id_s_user_is(alias_domains):
    batch = BatchFactory(seat_count=None)
    for i in range(40):
        UserFactory(email=f"someone{i}@elsewhere.example.org")  # no row can match them
    linked = UserFactory(email="asha.private@home.example.net")  # the HR id's user, another domain
    EmployeeFactory(employee="E1", user=linked)
    enrolled = UserFactory(email="ben@outside.example.net")  # a member no row names
    bulk_enroll(batch=batch, members=[enrolled.email], actor=None, source=Source.DESK, notify=False)
    with CaptureQueriesContext(connection) as queries:
        report = reconcile(batch, HEADER + "E1,Asha,asha@corp.com,,,Active\nE2,Chen,chen@corp.de,,,Active\n")
    assert kinds(report) == [
        ("missing_user", "E2", "chen@corp.de"),
        ("not_enrolled", "E1", "asha.private@home.example.net"),
        ("enrolled_not_in_hr", None, "ben@outside.example.net"),
    ]
    sqls = [q["sql"] for q in queries.captured_queries]
    users_read = [sql for sql in sqls if "people_user" in sql and "email_domain" in sql]
    assert users_read and any("corp.co.uk" in sql for sql in users_read)  # corp.de's key folds to it
    assert not any("LIKE" in sql.upper() for sql in users_read)  # by the indexed domain, no suffix scan

    from smoothlms.hr.reconciliation import _read_roster, _read_users
    from smoothlms.people.matching import email_keys_matcher

    chen = UserFactory(email="chen@corp.com")  # an alias-domain address of chen@corp.de's key
    users, by_key = _read_users(
        batch, {"asha@corp.com", "chen@corp.co.uk"}, {linked.pk}, email_keys_matcher(), _read_roster(batch)
    )
    assert {user.email for user in users.values()} == {linked.email, enrolled.email, chen.email}
    assert by_key == {"chen@corp.co.uk": [chen.pk]}


def test_an_export_of_more_domains_than_the_filter_takes_is_compared_with_every_user():
    from smoothlms.hr.reconciliation import MAX_DOMAINS

    batch = BatchFactory(seat_count=None)
    count = MAX_DOMAINS + 1
    emails = [f"p{i}@d{i}.example.org" for i in range(count)]
    for email in emails[:3]:
        UserFactory(email=email.replace("@", "+hr@"))  # found through their match keys
    bulk_enroll(batch=batch, members=[emails[0].replace("@", "+hr@")], actor=None, source=Source.DESK, notify=False)
    report = reconcile(batch, HEADER + "".join(f"E{i},P,{email},,,Active\n" for i, email in enumerate(emails)))
    assert report.matched == 1
    assert [f.kind for f in report.findings].count("not_enrolled") == 2
    assert [f.kind for f in report.findings].count("missing_user") == count - 3


def test_of_the_employee_records_only_the_exports_hr_ids_are_read():
    """The Employee table holds every record HR ever sent: what is read follows the export (its
    HR ids, looked up by id), not the table's size."""
    batch = BatchFactory(seat_count=None)
    for i in range(30):
        EmployeeFactory(employee=f"OLD{i}", user=UserFactory(email=f"old{i}@elsewhere.example.org"))
    asha = UserFactory(email="asha@corp.com")
    EmployeeFactory(employee="E1", user=asha)
    asked: list = []  # the parameters of each statement that reads Employee records

    def watch(execute, sql, params, many, context):
        if "people_employee" in sql:  # keys as an array (PostgreSQL) or a JSON list (core.db.rows_by_key)
            asked.append([key for param in params for key in (param if isinstance(param, list) else json.loads(param))])
        return execute(sql, params, many, context)

    with connection.execute_wrapper(watch):
        report = reconcile(batch, HEADER + "E1,Asha,asha@corp.com,,,Active\n")
    assert kinds(report) == [("not_enrolled", "E1", "asha@corp.com")]
    assert asked == [["E1"]]  # by the export's HR id: the 30 other records are not read
