"""Employee Compliance in the desk (HR Manager, System Manager): the ledger of every employee with
required courses (`employee_compliance_list`, /app/employee-compliance, CSV with ?format=csv) and one
employee's page (`employee_compliance_detail`, /app/employee-compliance/<employee>), whose table
(desk/compliance/_rows.html) is also what an employee page's compliance tab shows.

Pages are a fixed number of queries whatever the number of employees: the ledger reads one page of
employees, then their assignments, certificates and quiz submissions at once."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.http import urlencode

from smoothlms.csvio.writer import csv_lines
from smoothlms.desk.pages import render_desk
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
TONES = {"compliant": "ok", "due": "warn", "overdue": "full", "expired": "full"}
ROLE_NEEDED = "Employee Compliance needs the HR Manager or System Manager role."


def can_read_compliance(user) -> bool:
    return user.has_role(Role.HR_MANAGER, Role.SYSTEM_MANAGER)


def _check(request: HttpRequest) -> None:
    if not can_read_compliance(request.user):
        raise PermissionDenied(ROLE_NEEDED)


def employee_compliance_list(request: HttpRequest) -> HttpResponse:
    _check(request)
    if request.GET.get("format") == "csv":
        lines = csv_lines(EMPLOYEE_COMPLIANCE_HEADER, employee_compliance_rows(), bom=True)
        response = StreamingHttpResponse((line.encode() for line in lines), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="employee-compliance-{timezone.now():%Y%m%d}.csv"'
        return response
    today = timezone.localdate()
    search, department = request.GET.get("q", "")[:200], request.GET.get("department", "")[:140]
    attention = request.GET.get("attention") == "1"
    employees = list_ledger_employees(search=search, department=department, attention=attention, today=today)
    page = Paginator(employees, PER_PAGE).get_page(request.GET.get("page"))
    ledger = list_employee_compliance(list(page.object_list), today=today)
    query = {key: value for key, value in request.GET.items() if key != "page" and value}
    return render_desk(request, "desk/compliance/ledger.html", {
        "page": page, "entries": [{"entry": entry, "tone": TONES[entry.status],
                                   "counts": {status: entry.count(status) for status in STATUSES}}
                                  for entry in ledger],
        "statuses": STATUSES, "q": search, "department": department, "attention": attention,
        "query": urlencode(query), "today": today,
    }, title="Employee Compliance")


def employee_compliance_detail(request: HttpRequest, employee: str) -> HttpResponse:
    _check(request)
    try:
        found = get_employee(employee=employee)
    except EmployeeNotFound as error:
        raise Http404(error.user_message()) from None
    today = timezone.localdate()
    ledger = get_employee_compliance(employee=found, today=today)
    return render_desk(request, "desk/compliance/employee.html", {
        "entry": ledger, "tone": TONES[ledger.status], "today": today,
        "rows": [{"row": row, "tone": TONES[row.status]} for row in ledger.rows],
    }, title=f"Compliance: {found.employee_name or found.employee}")
