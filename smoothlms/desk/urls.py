"""The desk paths users know (CONTRACT.md section 4), leading to the admin pages that serve them."""

from __future__ import annotations

from django.contrib import admin
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse

from smoothlms.catalog.models import Batch
from smoothlms.desk.views import dashboard


def _to(name: str, *args):
    def view(request, **kwargs):
        url = reverse(name, args=args)
        query = request.META.get("QUERY_STRING")
        return redirect(f"{url}?{query}" if query else url)

    return view


def batch_page(request, name: str):
    batch = get_object_or_404(Batch.objects.only("pk"), name=name)
    return redirect(reverse("admin:catalog_batch_change", args=[batch.pk]))


urlpatterns = [
    path("app/lms-batch", _to("admin:catalog_batch_changelist")),
    path("app/lms-batch/new", _to("admin:catalog_batch_add")),
    path("app/lms-batch/<slug:name>", admin.site.admin_view(batch_page)),
    path("app/lms-batch-enrollment", _to("admin:enrollment_batchenrollment_changelist")),
    path("app/lms-batch-enrollment/new", _to("admin:enrollment_batchenrollment_add")),
    path("app/lms-batch-enrollment/import", _to("admin:enrollment_batchenrollment_import")),
    path("app/lms-enrollment", _to("admin:enrollment_courseenrollment_changelist")),
    path("app/lms-course", _to("admin:catalog_course_changelist")),
    path("app/user", _to("admin:people_user_changelist")),
    path("app/employee", _to("admin:people_employee_changelist")),
    path("app/lms-training-assignment", _to("admin:training_trainingassignment_changelist")),
    path("app/lms-settings", _to("admin:catalog_lmssettings_change", 1)),
    # Staff roles only: the admin's guard (anonymous users go to /login, students get a 403).
    path("desk/learning", admin.site.admin_view(dashboard), name="desk-learning"),
]

# Roster reconciliation and the audit pages (staff roles; each view checks its own permission).
from smoothlms.desk import audit, reconcile  # noqa: E402 - kept beside the lines that use it

urlpatterns += [
    path("desk/reconcile", admin.site.admin_view(reconcile.reconcile_view), name="desk-reconcile"),
    path("desk/audit", admin.site.admin_view(audit.audit_log_view), name="desk-audit"),
    path("desk/audit/roles", admin.site.admin_view(audit.role_audit_view), name="desk-role-audit"),
    path("desk/audit/export", admin.site.admin_view(audit.export_view), name="desk-export"),
]
