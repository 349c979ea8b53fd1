"""The desk's addresses (CONTRACT.md sections 4 and 10) are the pages themselves: 200 at that very
URL for a System Manager, one redirect to /login for anonymous visitors, the desk's 403 page naming
the roles needed for a signed-in user without them, and the trailing-slash form redirects."""

import datetime as dt
from urllib.parse import quote

import pytest
from django.utils import timezone

from smoothlms.catalog.models import LMSSettings
from smoothlms.catalog.tests.factories import BatchFactory, CourseFactory
from smoothlms.enrollment.services import enroll
from smoothlms.people.roles import Role
from smoothlms.people.tests.factories import EmployeeFactory, UserFactory
from smoothlms.training.models import AssignmentStatus, TrainingAssignment

pytestmark = pytest.mark.django_db

ADDRESSES = [
    "/app/lms-batch",
    "/app/lms-batch/new",
    "/app/lms-batch/new-hires",
    "/app/lms-batch-enrollment",
    "/app/lms-batch-enrollment/new",
    "/app/lms-batch-enrollment/{enrollment}",
    "/app/lms-enrollment",
    "/app/lms-course",
    "/app/lms-course/safe-data",
    "/app/user",
    "/app/employee",
    "/app/lms-training-assignment",
    "/app/lms-quiz-submission",
    "/app/lms-certificate",
    "/app/lms-settings",
    "/app/employee-compliance",
]
OTHER_DESK_PATHS = ["/app/", "/desk/learning", "/app/lms-batch-enrollment/import"]


@pytest.fixture
def records(db):
    course = CourseFactory(name="safe-data", title="Safe Data")
    cohort = BatchFactory(name="new-hires", title="New Hires", courses=[course])
    enrollment = enroll(batch=cohort, member=UserFactory(email="asha@example.com"), actor=None, source="desk")
    return {"enrollment": enrollment.pk}


@pytest.fixture
def system_manager(client, db):
    client.force_login(UserFactory(email="sm@example.com", roles=[Role.SYSTEM_MANAGER]))
    return client


def as_role(client, *roles):
    client.force_login(UserFactory(email="someone@example.com", roles=list(roles)))
    return client


@pytest.mark.parametrize("address", ADDRESSES)
def test_a_system_manager_gets_the_page_at_its_address(system_manager, records, address):
    response = system_manager.get(address.format(**records))
    assert response.status_code == 200, response.get("Location")


@pytest.mark.parametrize("address", ADDRESSES + OTHER_DESK_PATHS)
def test_anonymous_visitors_go_straight_to_the_login_page(client, records, address):
    url = address.format(**records)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"/login?next={quote(url)}"
    assert client.get(response["Location"]).status_code == 200  # one hop: the login page itself


@pytest.mark.parametrize("address", ADDRESSES + OTHER_DESK_PATHS)
def test_a_student_gets_the_desks_403_page_naming_the_role(client, records, address):
    response = as_role(client).get(address.format(**records))
    html = response.content.decode()
    assert response.status_code == 403
    assert 'id="access-denied"' in html and "desk.css" in html
    assert "System Manager" in html.split('id="denied-roles"')[1].split("</p>")[0]


@pytest.mark.parametrize("address", ADDRESSES)
def test_the_trailing_slash_form_redirects_to_the_address(client, records, address):
    url = address.format(**records)
    response = client.get(url + "/?q=x")
    assert response.status_code == 301 and response["Location"] == url + "?q=x"


def roles_named(response) -> str:
    return response.content.decode().split('id="denied-roles"')[1].split("</p>")[0]


@pytest.mark.parametrize(
    ("address", "roles", "not_named"),
    [
        ("/app/employee-compliance", ["HR Manager", "System Manager"], ["Moderator"]),
        ("/app/lms-batch-enrollment/new", ["Moderator", "System Manager"], ["HR Manager", "Batch Evaluator"]),
        ("/app/lms-batch", ["Moderator", "HR Manager", "Course Creator", "Batch Evaluator", "System Manager"], []),
        ("/app/lms-settings", ["Moderator", "System Manager"], ["HR Manager"]),
    ],
)
def test_the_403_page_names_the_roles_that_open_the_page(client, records, address, roles, not_named):
    named = roles_named(as_role(client).get(address))
    assert all(role in named for role in roles) and not any(role in named for role in not_named)


def test_a_staff_member_without_the_pages_role_gets_the_403_page_with_the_desk_menu(client, records):
    response = as_role(client, Role.COURSE_CREATOR).get("/app/user")
    assert response.status_code == 403
    named = roles_named(response)
    assert "Moderator" in named and "HR Manager" in named and "System Manager" in named
    assert "Course Creator" not in named
    html = response.content.decode()
    assert 'class="desk-nav"' in html and "with the role Course Creator" in html


def test_a_student_sees_no_desk_menu_on_the_403_page(client, records):
    html = as_role(client).get("/app/lms-batch").content.decode()
    assert 'class="desk-nav"' not in html and "/lms/courses" in html


def test_an_unknown_cohort_is_404_for_staff_and_403_for_students(client, system_manager, records):
    assert system_manager.get("/app/lms-batch/no-such-cohort").status_code == 404
    client.logout()
    assert as_role(client).get("/app/lms-batch/no-such-cohort").status_code == 403


def test_links_and_breadcrumbs_use_the_addresses(system_manager, records):
    listing = system_manager.get("/app/lms-batch").content.decode()
    assert 'href="/app/lms-batch/new-hires"' in listing and 'href="/app/lms-batch/new"' in listing
    page = system_manager.get("/app/lms-batch/new-hires").content.decode()
    assert '<a href="/app/lms-batch">' in page  # the breadcrumb to the list
    assert "/app/lms-batch/new-hires/enroll" in page and "/app/lms-batch/new-hires/history" in page
    assert f"/app/lms-batch-enrollment/{records['enrollment']}/cancel" in page
    courses = system_manager.get("/app/lms-course").content.decode()
    assert 'href="/app/lms-course/safe-data"' in courses
    enrollments = system_manager.get("/app/lms-batch-enrollment").content.decode()
    assert f'href="/app/lms-batch-enrollment/{records["enrollment"]}"' in enrollments
    index = system_manager.get("/app/").content.decode()
    for address in (
        "/app/lms-batch",
        "/app/user",
        "/app/employee",
        "/app/lms-training-assignment",
        "/app/lms-quiz-submission",
        "/app/lms-certificate",
        "/app/lms-settings",
    ):
        assert f'href="{address}"' in index, address


def test_the_admins_own_urls_keep_working(system_manager, records):
    cohort_pk = BatchFactory._meta.model.objects.get(name="new-hires").pk
    assert system_manager.get(f"/app/catalog/batch/{cohort_pk}/change/").status_code == 200
    assert system_manager.get("/app/catalog/batch/").status_code == 200


def test_saving_a_cohort_returns_to_the_list_at_its_address(system_manager, records):
    page = system_manager.get("/app/lms-batch/new-hires")
    form = page.context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update(
        {
            "start_date": form.initial["start_date"].isoformat(),
            "end_date": form.initial["end_date"].isoformat(),
            "start_time": "09:00",
            "end_time": "17:00",
            "seat_count": "12",
            "published": "on",
            "allow_self_enrollment": "on",
            "currency": "",
            "amount": "",
            "batch_courses-TOTAL_FORMS": "0",
            "batch_courses-INITIAL_FORMS": "0",
            "live_classes-TOTAL_FORMS": "0",
            "live_classes-INITIAL_FORMS": "0",
        }
    )
    data = {key: value for key, value in data.items() if not isinstance(value, bool)}
    response = system_manager.post("/app/lms-batch/new-hires", data)
    assert response.status_code == 302 and response["Location"] == "/app/lms-batch"


def test_lms_settings_are_changed_at_their_address(system_manager, db):
    response = system_manager.post(
        "/app/lms-settings",
        {
            "reminder_hour": "7",
            "send_confirmation_emails": "on",
            "certificate_title": "Certificate of Completion",
            "certificate_body": "This certifies that {{ member_name }} has completed {{ course_title }}.",
            "recertify_days_before": "30",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/app/lms-settings"
    assert LMSSettings.load().reminder_hour == 7


def test_login_page_has_the_contract_fields(client):
    html = client.get("/login").content.decode()
    assert 'name="username"' in html and 'name="password"' in html


# /app/employee-compliance ------------------------------------------------------------------------


def test_employee_compliance_shows_each_employees_required_courses_by_status(client, db, django_assert_max_num_queries):
    today = timezone.localdate()
    late, fine = UserFactory(email="late@example.com"), UserFactory(email="fine@example.com")
    EmployeeFactory(employee="HR-1", employee_name="Late Larry", user=late, department="Ops")
    EmployeeFactory(employee="HR-2", employee_name="Fine Fiona", user=fine, department="Ops")
    EmployeeFactory(employee="HR-3", employee_name="No User", department="Sales")
    one, two, three = CourseFactory(), CourseFactory(), CourseFactory()
    TrainingAssignment.objects.create(user=late, course=one, due_date=today - dt.timedelta(days=3))
    TrainingAssignment.objects.create(user=late, course=two, due_date=today + dt.timedelta(days=3))
    TrainingAssignment.objects.create(
        user=late, course=three, due_date=today - dt.timedelta(days=9), status=AssignmentStatus.COMPLETED
    )
    TrainingAssignment.objects.create(user=fine, course=one, due_date=today + dt.timedelta(days=1))
    client.force_login(UserFactory(email="hr@example.com", roles=[Role.HR_MANAGER]))
    with django_assert_max_num_queries(12):
        response = client.get("/app/employee-compliance")
    assert response.status_code == 200
    entries = {e["entry"].employee.employee: e for e in response.context["entries"]}
    assert sorted(entries) == ["HR-1", "HR-2"]  # no user, no required training
    assert entries["HR-1"]["entry"].status == "overdue"
    assert entries["HR-1"]["counts"] == {"compliant": 1, "due": 1, "overdue": 1, "expired": 0}
    assert entries["HR-2"]["entry"].status == "due"
    html = response.content.decode()
    # The weekly review: the overdue count leads to that employee's overdue assignments.
    assert "1 overdue" in html and "/app/lms-training-assignment?q=late%40example.com&amp;overdue=yes" in html


def test_employee_compliance_filters_by_department_and_attention(client, db):
    today = timezone.localdate()
    late, sales = UserFactory(email="late@example.com"), UserFactory(email="sales@example.com")
    EmployeeFactory(employee="HR-1", user=late, department="Ops")
    EmployeeFactory(employee="HR-2", user=sales, department="Sales")
    TrainingAssignment.objects.create(user=late, course=CourseFactory(), due_date=today - dt.timedelta(days=1))
    TrainingAssignment.objects.create(user=sales, course=CourseFactory(), due_date=today + dt.timedelta(days=9))
    client.force_login(UserFactory(email="sm2@example.com", roles=[Role.SYSTEM_MANAGER]))

    def shown(query: str) -> list[str]:
        entries = client.get(f"/app/employee-compliance?{query}").context["entries"]
        return [e["entry"].employee.employee for e in entries]

    assert shown("department=sales") == ["HR-2"]
    assert shown("attention=1") == ["HR-1"]


def test_employee_compliance_is_refused_to_moderators(client, db):
    response = as_role(client, Role.MODERATOR).get("/app/employee-compliance")
    assert response.status_code == 403 and "HR Manager" in roles_named(response)
