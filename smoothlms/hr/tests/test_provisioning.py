"""The provisioning service: every HR path goes through it."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from smoothlms.catalog.tests.factories import BatchFactory, CourseFactory
from smoothlms.core.models import EnrollmentEvent, EventType
from smoothlms.enrollment.models import BatchEnrollment, EnrollmentStatus, Source
from smoothlms.enrollment.services import enroll
from smoothlms.hr.errors import TooManyDisables, UserLinkedToOtherEmployee
from smoothlms.hr.records import parse_record
from smoothlms.hr.services import provision_employee, provision_employees
from smoothlms.hr.tests.factories import record
from smoothlms.people.models import Employee, User, UserInvitation
from smoothlms.people.roles import Role
from smoothlms.people.services import set_user_enabled
from smoothlms.people.tests.factories import EmployeeFactory, UserFactory

pytestmark = pytest.mark.django_db

WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE)\b", re.IGNORECASE)


def provision(*records, **kwargs):
    kwargs.setdefault("actor", None)
    kwargs.setdefault("source", "api")
    return provision_employees(records=list(records), **kwargs)


# New hires ---------------------------------------------------------------------------------------


def test_new_active_employee_gets_a_student_user_without_password_and_an_invitation(
    django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        employee, action = provision_employee(
            record=record("HR-1", company_email="ana@example.com"), actor=None, source="api"
        )
    assert action == "create"
    user = employee.user
    assert user.email == "ana@example.com"
    assert user.full_name == "Person HR-1"
    assert user.enabled and not user.password_set and not user.has_usable_password()
    assert user.role_names == {Role.LMS_STUDENT}
    assert Employee.objects.get(employee="HR-1").user_id == user.pk
    assert EnrollmentEvent.objects.filter(kind=EventType.USER_CREATED, member=user).count() == 1
    assert [m.to for m in mailoutbox] == [["ana@example.com"]]
    assert "/login/set-password/" in mailoutbox[0].body
    assert UserInvitation.objects.get(user=user).status == UserInvitation.Status.SENT


@pytest.mark.parametrize("employment_type", ["Contract", "Intern", "Apprentice"])
def test_contractors_and_interns_follow_the_same_path(employment_type):
    employee, action = provision_employee(
        record=record("HR-C", company_email="c@example.com", employment_type=employment_type), actor=None, source="api"
    )
    assert action == "create"
    assert employee.employment_type == employment_type
    assert employee.user.role_names == {Role.LMS_STUDENT} and employee.user.enabled


def test_user_id_is_preferred_to_company_then_personal_email():
    provision(
        record("HR-1", user_id="login@example.com", company_email="work@example.com", personal_email="me@gmail.com"),
        record("HR-2", company_email="work2@example.com", personal_email="me2@gmail.com"),
        record("HR-3", personal_email="me3@gmail.com"),
    )
    assert dict(Employee.objects.values_list("employee", "user__email")) == {
        "HR-1": "login@example.com",
        "HR-2": "work2@example.com",
        "HR-3": "me3@gmail.com",
    }


def test_employee_without_email_gets_no_user():
    report = provision(record("HR-1"))
    assert report.rows[0].action == "create"
    assert report.rows[0].message == "no user (no email)"
    assert Employee.objects.get().user is None
    assert not User.objects.exists()


def test_existing_user_is_matched_by_email_in_another_case_with_spaces(mailoutbox):
    existing = UserFactory(email="ana.lima@example.com", roles=[Role.MODERATOR])
    admin = UserFactory(email="admin@example.com", roles=[Role.SYSTEM_MANAGER])  # a staff account: theirs to link
    parsed = parse_record(
        {"employee": "HR-1", "employee_name": "Ana", "status": "active", "company_email": "  Ana.Lima@EXAMPLE.com "}
    )
    employee, action = provision_employee(record=parsed, actor=admin, source="import")
    assert action == "create"
    assert employee.user_id == existing.pk
    assert User.objects.count() == 2
    existing = User.objects.get(pk=existing.pk)
    assert existing.role_names == {Role.MODERATOR, Role.LMS_STUDENT}  # the student role is added, others kept
    assert not UserInvitation.objects.exists()  # they have a password already


# Rehires -------------------------------------------------------------------------------------------


def _leaver(hr_id: str, email: str) -> Employee:
    user = UserFactory(email=email)
    set_user_enabled(user=user, enabled=False, actor=None)
    return EmployeeFactory(
        employee=hr_id,
        employee_name=f"Person {hr_id}",
        company_email=email,
        user=user,
        status="Left",
        date_of_joining=dt.date(2020, 1, 1),
        relieving_date=dt.date(2021, 1, 1),
    )


def test_rehire_with_the_same_hr_id_reenables_the_old_user():
    old = _leaver("HR-1", "ana@example.com")
    report = provision(record("HR-1", company_email="ana@example.com", date_of_joining=timezone.localdate()))
    assert report.rows[0].action == "rehire"
    assert report.rows[0].message == (
        "user ana@example.com enabled again; changed: status, date_of_joining, relieving_date"
    )
    assert User.objects.count() == 1
    user = User.objects.get(pk=old.user_id)
    assert user.enabled
    assert Employee.objects.get(employee="HR-1").status == "Active"
    assert EnrollmentEvent.objects.filter(kind=EventType.USER_ENABLED, member=user).count() == 1


def test_rehire_under_a_new_hr_id_gets_the_old_user_back_not_a_duplicate():
    old = _leaver("HR-1", "ana@example.com")
    report = provision(record("HR-9", company_email="ANA@example.com"))
    assert report.rows[0].action == "rehire"
    assert User.objects.count() == 1
    assert Employee.objects.get(employee="HR-9").user_id == old.user_id
    assert Employee.objects.get(employee="HR-1").user_id == old.user_id  # the old record keeps its history
    assert User.objects.get(pk=old.user_id).enabled


def test_rehire_of_a_user_who_never_set_a_password_gets_an_invitation():
    employee, _ = provision_employee(record=record("HR-1", company_email="a@example.com"), actor=None, source="api")
    provision(record("HR-1", company_email="a@example.com", status="Left"))
    provision(record("HR-1", company_email="a@example.com"))
    assert UserInvitation.objects.filter(user=employee.user).count() == 2


# Leavers -------------------------------------------------------------------------------------------


def test_leaver_is_disabled_leaves_running_cohorts_for_the_waitlist_and_keeps_history():
    course = CourseFactory()
    batch = BatchFactory(courses=[course], seat_count=1, waitlist_enabled=True)
    employee, _ = provision_employee(record=record("HR-1", company_email="a@example.com"), actor=None, source="api")
    enroll(batch=batch, member=employee.user, actor=None, source=Source.DESK)
    waiting = UserFactory()
    enroll(batch=batch, member=waiting, actor=None, source=Source.DESK)
    report = provision(
        record(
            "HR-1",
            company_email="a@example.com",
            status="Left",
            relieving_date=timezone.localdate() - dt.timedelta(days=1),
        )
    )
    assert report.rows[0].action == "disable"
    user = User.objects.get(pk=employee.user_id)
    assert not user.enabled
    assert BatchEnrollment.objects.get(member=user).status == EnrollmentStatus.CANCELLED
    assert EnrollmentEvent.objects.get(kind=EventType.CANCELLED, member=user).reason == "user_disabled"
    assert BatchEnrollment.objects.get(member=waiting).status == EnrollmentStatus.ACTIVE
    assert Employee.objects.get(employee="HR-1").user_id == user.pk
    assert EnrollmentEvent.objects.filter(kind=EventType.USER_DISABLED, member=user).count() == 1


def test_passed_relieving_date_makes_a_leaver_even_while_status_is_active():
    employee, _ = provision_employee(record=record("HR-1", company_email="a@example.com"), actor=None, source="api")
    report = provision(
        record("HR-1", company_email="a@example.com", relieving_date=timezone.localdate() - dt.timedelta(days=1))
    )
    assert report.rows[0].action == "disable"
    assert not User.objects.get(pk=employee.user_id).enabled


def test_relieving_date_today_is_still_a_working_day():
    employee, _ = provision_employee(record=record("HR-1", company_email="a@example.com"), actor=None, source="api")
    report = provision(record("HR-1", company_email="a@example.com", relieving_date=timezone.localdate()))
    assert report.rows[0].action == "update"
    assert User.objects.get(pk=employee.user_id).enabled


def test_leaver_without_user_gets_none():
    report = provision(record("HR-1", company_email="gone@example.com", status="Left"))
    assert report.rows[0].action == "create"
    assert report.rows[0].message == "no user (leaver)"
    assert not User.objects.exists()
    assert Employee.objects.get().user is None


def test_leaver_is_not_disabled_while_the_user_belongs_to_another_active_employee():
    employee, _ = provision_employee(record=record("HR-1", company_email="a@example.com"), actor=None, source="api")
    report = provision(record("HR-0", company_email="a@example.com", status="Left"))
    assert report.rows[0].action == "create"
    assert User.objects.get(pk=employee.user_id).enabled


def test_inactive_and_suspended_records_leave_the_user_as_it_is():
    employee, _ = provision_employee(record=record("HR-1", company_email="a@example.com"), actor=None, source="api")
    report = provision(record("HR-1", company_email="a@example.com", status="Suspended"))
    assert report.rows[0].action == "update"
    assert User.objects.get(pk=employee.user_id).enabled
    assert not provision(record("HR-2", company_email="b@example.com", status="Inactive")).rows[0].email


def test_one_run_moves_a_user_from_a_leaving_record_to_a_new_one_in_either_order():
    employee, _ = provision_employee(record=record("HR-1", company_email="a@example.com"), actor=None, source="api")
    report = provision(
        record("HR-2", company_email="a@example.com"), record("HR-1", company_email="a@example.com", status="Left")
    )
    assert [row.action for row in report.rows] == ["create", "update"]
    assert Employee.objects.get(employee="HR-2").user_id == employee.user_id
    assert User.objects.get(pk=employee.user_id).enabled


# A user linked twice ----------------------------------------------------------------------------


def test_user_linked_to_another_active_employee_is_an_error_for_that_row():
    provision_employee(record=record("HR-1", company_email="a@example.com"), actor=None, source="api")
    with pytest.raises(UserLinkedToOtherEmployee) as refused:
        provision_employee(record=record("HR-2", personal_email="a@example.com"), actor=None, source="api")
    assert refused.value.code == "user_linked_to_other_employee"
    assert refused.value.user_message() == "The user a@example.com is already linked to the active employee HR-1."
    assert not Employee.objects.filter(employee="HR-2").exists()


def test_two_new_records_with_one_email_in_a_run_link_the_first_and_refuse_the_second():
    report = provision(
        record("HR-1", company_email="a@example.com"),
        record("HR-2", company_email="a@example.com"),
        record("HR-3", company_email="c@example.com"),
    )
    assert [(row.employee, row.action, row.code) for row in report.rows] == [
        ("HR-1", "create", ""),
        ("HR-2", "error", "user_linked_to_other_employee"),
        ("HR-3", "create", ""),
    ]
    assert report.rows[1].message == "The user a@example.com is already linked to the active employee HR-1."
    assert sorted(Employee.objects.values_list("employee", flat=True)) == ["HR-1", "HR-3"]


def test_the_same_hr_id_twice_in_a_run_is_refused_the_second_time():
    for_rows = [record("HR-1", company_email="a@example.com"), record("HR-1", company_email="b@example.com")]
    for_rows[0].row, for_rows[1].row = 2, 3
    report = provision(*for_rows)
    assert report.rows[1].code == "duplicate_employee"
    assert report.rows[1].message == "The HR id HR-1 is listed more than once (first on row 2)."
    assert Employee.objects.get().user.email == "a@example.com"


# Desired state, dry runs, threshold ----------------------------------------------------------


def test_an_unchanged_record_writes_nothing():
    records = [record("HR-1", company_email="a@example.com"), record("HR-2"), record("HR-3", status="Left")]
    provision(*records)
    before = dict(Employee.objects.values_list("employee", "updated_at"))
    with CaptureQueriesContext(connection) as ctx:
        report = provision(*records)
    assert report.counts["unchanged"] == 3
    assert [q["sql"] for q in ctx.captured_queries if WRITE.match(q["sql"])] == []
    assert dict(Employee.objects.values_list("employee", "updated_at")) == before


def test_a_change_is_written_with_an_audit_event():
    provision(record("HR-1", company_email="a@example.com", department="Sales"))
    report = provision(record("HR-1", company_email="a@example.com", department="Engineering"))
    assert report.rows[0].action == "update"
    assert report.rows[0].message == "changed: department"
    event = EnrollmentEvent.objects.filter(kind=EventType.EMPLOYEE_CHANGED).latest("id")
    assert event.before == {"department": "Sales"}
    assert event.after == {"employee": "HR-1", "department": "Engineering"}


def test_dry_run_plans_and_writes_nothing():
    with CaptureQueriesContext(connection) as ctx:
        report = provision(record("HR-1", company_email="a@example.com"), dry_run=True)
    assert report.rows[0].action == "create"
    assert [q["sql"] for q in ctx.captured_queries if WRITE.match(q["sql"])] == []
    assert not Employee.objects.exists() and not User.objects.exists()


def _staff(count: int) -> None:
    provision(*[record(f"HR-{n}", company_email=f"p{n}@example.com") for n in range(count)])


def test_disabling_more_than_the_threshold_is_refused_and_writes_nothing():
    _staff(10)
    leavers = [record(f"HR-{n}", company_email=f"p{n}@example.com", status="Left") for n in range(3)]
    with pytest.raises(TooManyDisables) as refused:
        provision(*leavers, disable_threshold=0.2)
    assert refused.value.user_message() == (
        "This import would disable 3 of 10 enabled employee users (more than 20%). "
        "Check the file, or run it again with --force."
    )
    assert User.objects.filter(enabled=True).count() == 10


def test_disabling_up_to_the_threshold_is_applied():
    _staff(10)
    report = provision(
        *[record(f"HR-{n}", company_email=f"p{n}@example.com", status="Left") for n in range(2)], disable_threshold=0.2
    )
    assert report.counts["disable"] == 2
    assert User.objects.filter(enabled=True).count() == 8


def test_a_dry_run_over_the_threshold_reports_the_refusal():
    _staff(4)
    report = provision(
        record("HR-0", company_email="p0@example.com", status="Left"), disable_threshold=0.2, dry_run=True
    )
    assert report.refused is not None and report.refused.code == "too_many_disables"
    assert User.objects.filter(enabled=True).count() == 4


def test_nothing_is_sent_when_the_provisioning_rolls_back(django_capture_on_commit_callbacks, mailoutbox):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with transaction.atomic():
            provision(record("HR-1", company_email="a@example.com"))
            transaction.set_rollback(True)
    assert callbacks == [] and mailoutbox == []
    assert not User.objects.exists()
