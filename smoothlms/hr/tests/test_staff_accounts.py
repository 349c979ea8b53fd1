"""HR provisioning and staff accounts (CONTRACT.md section 10): only a System Manager links an HR
record to an account holding a staff role; a leaver's linked account is still disabled; a rehire
comes back with LMS Student only; the last enabled System Manager is kept; disables of webhook and
sync runs count per hour."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from smoothlms.core.models import EnrollmentEvent, EventType
from smoothlms.hr.errors import StaffAccount, TooManyDisablesPerHour
from smoothlms.hr.services import provision_employee, provision_employees
from smoothlms.hr.tests.factories import record
from smoothlms.people.errors import LastSystemManager
from smoothlms.people.models import Employee, User
from smoothlms.people.roles import Role
from smoothlms.people.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _snapshot():
    return (
        list(User.objects.order_by("pk").values_list("pk", "enabled")),
        sorted(User.groups.through.objects.values_list("user_id", "group__name")),
        list(Employee.objects.values_list("employee", "user_id", "status")),
        EnrollmentEvent.objects.count(),
    )


@pytest.fixture
def admin():
    return UserFactory(email="admin@example.com", roles=[Role.SYSTEM_MANAGER])


@pytest.fixture
def hr_manager():
    return UserFactory(email="hr@example.com", roles=[Role.HR_MANAGER])


@pytest.mark.parametrize("status", ["Active", "Left", "Inactive"])
@pytest.mark.parametrize(
    "role", [Role.SYSTEM_MANAGER, Role.MODERATOR, Role.COURSE_CREATOR, Role.BATCH_EVALUATOR, Role.HR_MANAGER]
)
def test_an_hr_manager_cannot_link_a_staff_account_and_nothing_changes(admin, hr_manager, role, status):
    UserFactory(email="staff@example.com", roles=[role])
    before = _snapshot()
    with pytest.raises(StaffAccount) as raised:
        provision_employee(
            record=record("HR-EVIL-1", user_id="staff@example.com", status=status), actor=hr_manager, source="api"
        )
    assert raised.value.code == "staff_account"
    assert raised.value.user_message() == (
        "The user staff@example.com holds a staff role; only a System Manager can link it to an HR record."
    )
    assert _snapshot() == before


def test_the_webhook_and_sync_act_as_no_system_manager(admin):
    before = _snapshot()
    for source in ("webhook", "hrms_sync", "import"):
        report = provision_employees(
            records=[record("HR-EVIL-1", user_id="admin@example.com", status="Left")], actor=None, source=source
        )
        assert [(row.action, row.code) for row in report.rows] == [("error", "staff_account")]
    assert _snapshot() == before
    assert User.objects.get(email="admin@example.com").enabled


def test_a_system_manager_may_link_a_staff_account(admin):
    moderator = UserFactory(email="mod@example.com", roles=[Role.MODERATOR])
    employee, action = provision_employee(record=record("HR-1", user_id="mod@example.com"), actor=admin, source="api")
    assert action == "create" and employee.user_id == moderator.pk
    assert User.objects.get(pk=moderator.pk).role_names == {Role.MODERATOR, Role.LMS_STUDENT}


def test_a_linked_staff_leaver_is_still_disabled_and_its_rehire_comes_back_a_student(admin):
    UserFactory(email="mod@example.com", roles=[Role.MODERATOR, Role.LMS_STUDENT])
    provision_employee(record=record("HR-1", user_id="mod@example.com"), actor=admin, source="api")
    _, action = provision_employee(
        record=record("HR-1", user_id="mod@example.com", status="Left"), actor=None, source="webhook"
    )
    assert action == "disable"
    assert not User.objects.get(email="mod@example.com").enabled
    _, action = provision_employee(record=record("HR-1", user_id="mod@example.com"), actor=None, source="webhook")
    assert action == "rehire"
    user = User.objects.get(email="mod@example.com")
    assert user.enabled and user.role_names == {Role.LMS_STUDENT}
    event = EnrollmentEvent.objects.filter(kind=EventType.ROLES_CHANGED, member=user).latest("pk")
    assert event.before == {"roles": [Role.LMS_STUDENT, Role.MODERATOR]}
    assert event.after == {"roles": [Role.LMS_STUDENT]}


def test_an_already_linked_enabled_staff_account_keeps_its_roles_on_updates(admin):
    UserFactory(email="mod@example.com", roles=[Role.MODERATOR])
    provision_employee(record=record("HR-1", user_id="mod@example.com"), actor=admin, source="api")
    User.groups.through.objects.filter(user__email="mod@example.com", group__name=Role.LMS_STUDENT).delete()
    _, action = provision_employee(
        record=record("HR-1", user_id="mod@example.com", department="Ops"), actor=None, source="webhook"
    )
    assert action == "update"
    assert User.objects.get(email="mod@example.com").role_names == {Role.MODERATOR}


def test_the_last_system_manager_is_not_disabled_by_a_leaver_and_nothing_changes(admin):
    # Linked by a System Manager (it is theirs to do); HR then sends the leaver.
    provision_employee(record=record("HR-1", user_id="admin@example.com"), actor=admin, source="api")
    before = _snapshot()
    with pytest.raises(LastSystemManager) as raised:
        provision_employee(
            record=record("HR-1", user_id="admin@example.com", status="Left"), actor=None, source="webhook"
        )
    assert raised.value.code == "last_system_manager"
    assert _snapshot() == before
    UserFactory(email="other@example.com", roles=[Role.SYSTEM_MANAGER])
    _, action = provision_employee(
        record=record("HR-1", user_id="admin@example.com", status="Left"), actor=None, source="webhook"
    )
    assert action == "disable" and not User.objects.get(email="admin@example.com").enabled


def _employees(count: int) -> None:
    provision_employees(
        records=[record(f"HR-{n}", company_email=f"p{n}@example.com") for n in range(count)],
        actor=None,
        source="import",
        onboard=False,
        invite=False,
    )


def test_webhook_disables_past_the_hourly_threshold_are_refused_and_nothing_changes(settings):
    settings.HR_DISABLE_HOURLY_MINIMUM = 2
    _employees(10)  # 20% of 10 = 2 an hour
    for n in range(2):
        provision_employee(
            record=record(f"HR-{n}", company_email=f"p{n}@example.com", status="Left"),
            actor=None,
            source="webhook",
            disable_threshold=0.2,
        )
    before = _snapshot()
    with pytest.raises(TooManyDisablesPerHour) as raised:
        provision_employee(
            record=record("HR-5", company_email="p5@example.com", status="Left"),
            actor=None,
            source="webhook",
            disable_threshold=0.2,
        )
    assert raised.value.code == "too_many_disables"
    assert _snapshot() == before
    # An hour later the count starts again.
    EnrollmentEvent.objects.filter(kind=EventType.USER_DISABLED).update(
        created_at=timezone.now() - dt.timedelta(hours=1, minutes=1)
    )
    _, action = provision_employee(
        record=record("HR-5", company_email="p5@example.com", status="Left"),
        actor=None,
        source="webhook",
        disable_threshold=0.2,
    )
    assert action == "disable"


def test_a_sync_page_past_the_hourly_threshold_is_refused(settings):
    settings.HR_DISABLE_HOURLY_MINIMUM = 1
    _employees(5)
    before = _snapshot()
    with pytest.raises(TooManyDisablesPerHour):
        provision_employees(
            records=[record(f"HR-{n}", company_email=f"p{n}@example.com", status="Left") for n in range(2)],
            actor=None,
            source="hrms_sync",
            disable_threshold=0.2,
        )
    assert _snapshot() == before


def test_the_desk_employee_form_refuses_a_staff_account_for_an_hr_manager(client, admin, hr_manager):
    client.force_login(hr_manager)
    before = _snapshot()
    answer = client.post(
        "/app/people/employee/add/",
        {
            "employee": "HR-EVIL-1",
            "employee_name": "Evil",
            "user_id": "admin@example.com",
            "company_email": "",
            "personal_email": "",
            "status": "Left",
            "date_of_joining": "",
            "relieving_date": "",
            "employment_type": "",
            "department": "",
            "designation": "",
        },
        follow=True,
    )
    assert "holds a staff role; only a System Manager can link it to an HR record." in answer.content.decode()
    assert _snapshot() == before
