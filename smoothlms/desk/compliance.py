"""/app/employee-compliance: the compliance ledger, every employee with required training and the
status of each required course (compliant, due, overdue, expired), filtered by name, department or
attention needed; ?format=csv streams it (one row per employee and required course: certificate,
expiry, quiz evidence). /app/employee-compliance/<employee> is one employee's ledger, whose table
(desk/compliance/_rows.html) is also what an employee page's compliance tab shows. HR Manager and
System Manager. Pages are a fixed number of queries whatever the number of employees."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from smoothlms.assessments.evidence import list_quiz_evidence
from smoothlms.csvio.writer import csv_lines
from smoothlms.desk.pages import render_desk
from smoothlms.desk.site import desk_roles
from smoothlms.hr.errors import EmployeeNotFound
from smoothlms.hr.selectors import get_employee
from smoothlms.people.roles import Role
from smoothlms.training.compliance import (
    EMPLOYEE_COMPLIANCE_HEADER,
    STATUSES,
    employee_compliance_rows,
    get_employee_compliance,
    list_employee_compliance,
    list_ledger_employees,
)

PER_PAGE = 50
ROLES = (Role.HR_MANAGER, Role.SYSTEM_MANAGER)


# The compliance ledger ----------------------------------------------------------------------
TONES = {"compliant": "ok", "due": "warn", "overdue": "full", "expired": "full"}
ROLE_NEEDED = "Employee Compliance needs the HR Manager or System Manager role."


def _ledger_csv() -> StreamingHttpResponse:
    lines = csv_lines(EMPLOYEE_COMPLIANCE_HEADER, employee_compliance_rows(quiz_evidence=list_quiz_evidence), bom=True)
    response = StreamingHttpResponse((line.encode() for line in lines), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="employee-compliance-{timezone.now():%Y%m%d}.csv"'
    return response


def can_read_compliance(user) -> bool:
    return user.has_role(Role.HR_MANAGER, Role.SYSTEM_MANAGER)


def _check(request: HttpRequest) -> None:
    if not can_read_compliance(request.user):
        raise PermissionDenied(ROLE_NEEDED)


@desk_roles(*ROLES)
def employee_compliance_list(request: HttpRequest) -> HttpResponse:
    _check(request)
    if request.GET.get("format") == "csv":
        return _ledger_csv()
    today = timezone.localdate()
    search, department = request.GET.get("q", "")[:200], request.GET.get("department", "")[:140]
    attention = request.GET.get("attention") == "1"
    employees = list_ledger_employees(search=search, department=department, attention=attention, today=today)
    page = Paginator(employees, PER_PAGE).get_page(request.GET.get("page"))
    ledger = list_employee_compliance(list(page.object_list), today=today, quiz_evidence=list_quiz_evidence)
    query = {key: value for key, value in request.GET.items() if key != "page" and value}
    return render_desk(
        request,
        "desk/compliance/ledger.html",
        {
            "page": page,
            "entries": [
                {
                    "entry": entry,
                    "tone": TONES[entry.status],
                    "counts": {status: entry.count(status) for status in STATUSES},
                }
                for entry in ledger
            ],
            "statuses": STATUSES,
            "q": search,
            "department": department,
            "attention": attention,
            "query": urlencode(query),
            "today": today,
            "desk_section": "compliance",
            "assignments_url": reverse("admin:training_trainingassignment_changelist"),
        },
        title="Employee Compliance",
    )


@desk_roles(*ROLES)
def employee_compliance_detail(request: HttpRequest, employee: str) -> HttpResponse:
    _check(request)
    try:
        found = get_employee(employee=employee)
    except EmployeeNotFound as error:
        raise Http404(error.user_message()) from None
    today = timezone.localdate()
    ledger = get_employee_compliance(employee=found, today=today, quiz_evidence=list_quiz_evidence)
    return render_desk(
        request,
        "desk/compliance/employee.html",
        {
            "entry": ledger,
            "tone": TONES[ledger.status],
            "today": today,
            "rows": [{"row": row, "tone": TONES[row.status]} for row in ledger.rows],
        },
        title=f"Compliance: {found.employee_name or found.employee}",
    )
