"""The desk's own pages. The admin's pages, at the addresses users know (/app/lms-batch, ...),
are mounted by the desk site itself (smoothlms.desk.addresses)."""

from __future__ import annotations

from django.contrib import admin
from django.urls import path

from smoothlms.desk import audit, compliance, reconcile
from smoothlms.desk.addresses import strip_slash
from smoothlms.desk.views import dashboard

# Staff roles only, through the desk site's guard: anonymous users go to /login, others without
# the role get the desk's 403 page; each view checks its own permission.
urlpatterns = [
    path("desk/learning", admin.site.admin_view(dashboard), name="desk-learning"),
    path(
        "app/employee-compliance",
        admin.site.admin_view(compliance.employee_compliance_list),
        name="desk-employee-compliance",
    ),
    path("app/employee-compliance/", strip_slash),
    path(
        "app/employee-compliance/<str:employee>",
        admin.site.admin_view(compliance.employee_compliance_detail),
        name="desk-employee-compliance-detail",
    ),
    path("desk/reconcile", admin.site.admin_view(reconcile.reconcile_view), name="desk-reconcile"),
    path("desk/audit", admin.site.admin_view(audit.audit_log_view), name="desk-audit"),
    path("desk/audit/roles", admin.site.admin_view(audit.role_audit_view), name="desk-role-audit"),
    path("desk/audit/export", admin.site.admin_view(audit.export_view), name="desk-export"),
]
