"""/app/employee-compliance: every employee with their training assignments counted by state
(open, overdue, completed, cancelled), those with overdue training first. HR Manager and System
Manager. One page of employees is two queries (the rows and their count), whatever the size."""

from __future__ import annotations

from django import forms
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.http import urlencode

from smoothlms.desk.pages import render_desk
from smoothlms.desk.site import desk_roles
from smoothlms.hr.selectors import list_employees
from smoothlms.people.models import EmployeeStatus
from smoothlms.people.roles import Role
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
