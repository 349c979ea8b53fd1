"""/app/employee-compliance: every employee with their training assignments counted by state
(open, overdue, completed, cancelled), those with overdue training first; ?format=csv streams the
compliance ledger (one row per employee and required course: certificate, expiry, quiz evidence);
/app/employee-compliance/<employee> is one employee's ledger, whose table (desk/compliance/_rows.html)
is also what an employee page's compliance tab shows. HR Manager and System Manager. Pages are a
fixed number of queries whatever the number of employees."""

from __future__ import annotations

from django import forms
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from smoothlms.assessments.evidence import list_quiz_evidence
from smoothlms.csvio.writer import csv_lines
from smoothlms.desk.pages import render_desk
from smoothlms.desk.site import desk_roles
from smoothlms.hr.errors import EmployeeNotFound
from smoothlms.hr.selectors import get_employee, list_employees
from smoothlms.people.models import EmployeeStatus
from smoothlms.people.roles import Role
from smoothlms.training.compliance import (
    EMPLOYEE_COMPLIANCE_HEADER,
    STATUSES,
    employee_compliance_rows,
    get_employee_compliance,
    list_employee_compliance,
    list_ledger_employees,
)
from smoothlms.training.selectors import list_employee_assignment_counts

PER_PAGE = 50
ROLES = (Role.HR_MANAGER, Role.SYSTEM_MANAGER)


class ComplianceFilterForm(forms.Form):
    q = forms.CharField(
        required=False,
        label="Search",
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": "name, HR id or email", "type": "search"}),
    )
    department = forms.CharField(required=False, label="Department", max_length=140)
    status = forms.ChoiceField(required=False, label="Status", choices=[("", "Any status"), *EmployeeStatus.choices])
    overdue = forms.BooleanField(required=False, label="Only with overdue training")


def _filtered(form: ComplianceFilterForm):
    queryset = list_employee_assignment_counts()
    data = form.cleaned_data if form.is_valid() else {}
    if data.get("q"):
        text = data["q"].strip()
        queryset = queryset.filter(
            Q(employee__icontains=text)
            | Q(employee_name__icontains=text)
            | Q(company_email__icontains=text)
            | Q(user__email__icontains=text)
        )
    if data.get("department"):
        queryset = queryset.filter(department__iexact=data["department"].strip())
    if data.get("status"):
        queryset = queryset.filter(status=data["status"])
    if data.get("overdue"):
        queryset = queryset.filter(overdue_count__gt=0)
    return queryset.order_by("-overdue_count", "employee")


@desk_roles(*ROLES)
def compliance_view(request: HttpRequest) -> HttpResponse:
    if not request.user.has_role(*ROLES):
        raise PermissionDenied
    if request.GET.get("format") == "csv":
        return _ledger_csv()
    form = ComplianceFilterForm(request.GET or None)
    page = Paginator(_filtered(form), PER_PAGE).get_page(request.GET.get("page"))
    assignments = reverse("admin:training_trainingassignment_changelist")
    rows = []
    for employee in page.object_list:
        email = employee.user.email if employee.user_id else ""
        rows.append(
            {
                "employee": employee,
                "email": email or employee.company_email or employee.personal_email,
                "href": f"{assignments}?{urlencode({'q': email})}" if email else "",
                "overdue_href": f"{assignments}?{urlencode({'q': email, 'overdue': 'yes'})}" if email else "",
            }
        )
    query = {key: value for key, value in request.GET.items() if key != "page" and value}
    return render_desk(
        request,
        "desk/compliance.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "query": urlencode(query),
            "desk_section": "compliance",
            "departments": _departments(),
        },
        title="Employee compliance",
    )


def _departments() -> list[str]:
    return list(
        list_employees()
        .exclude(department="")
        .order_by("department")
        .values_list("department", flat=True)
        .distinct()[:200]
    )


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
        },
        title="Employee Compliance",
    )


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
