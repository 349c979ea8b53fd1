"""Desk pages of the HR integration: sync runs and onboarding rules."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.html import format_html_join

from smoothlms.desk.admin.base import DeskAdmin, ReadOnlyAdmin
from smoothlms.hr.models import HRSyncRun, OnboardingApplication, OnboardingRule
from smoothlms.hr.onboarding import apply_onboarding_rules


@admin.register(HRSyncRun)
class HRSyncRunAdmin(ReadOnlyAdmin):
    list_display = ["started_at", "status", "fetched", "changed", "finished_at", "modified_until", "first_error"]
    list_filter = ["status"]

    @admin.display(description="Error")
    def first_error(self, obj: HRSyncRun) -> str:
        return (obj.error or "").splitlines()[0] if obj.error else ""


@admin.register(OnboardingRule)
class OnboardingRuleAdmin(DeskAdmin):
    list_display = [
        "name",
        "enabled",
        "department",
        "designation",
        "employment_type",
        "programme",
        "due_in_days",
        "joined_on_or_after",
    ]
    list_filter = ["enabled"]
    search_fields = ["name", "department", "designation"]
    list_select_related = ["programme"]
    filter_horizontal = ["mandatory_courses"]
    fields = [
        "name",
        "enabled",
        ("department", "designation", "employment_type"),
        "joined_on_or_after",
        "programme",
        "mandatory_courses",
        "due_in_days",
        "author",
        "applications",
        "created_at",
        "updated_at",
    ]
    readonly_fields = ["author", "applications", "created_at", "updated_at"]
    actions = ["apply_now"]

    def save_model(self, request, obj, form, change):
        obj.author = request.user  # the rule enrolls with the rights of whoever last saved it
        super().save_model(request, obj, form, change)

    @admin.display(description="What it did")
    def applications(self, obj: OnboardingRule) -> str:
        if obj.pk is None:
            return "-"
        done = obj.applications.filter(status=OnboardingApplication.Status.DONE).count()
        pending = list(
            obj.applications.filter(status=OnboardingApplication.Status.PENDING)
            .select_related("employee")
            .order_by("-updated_at")[:20]
        )
        lines = [
            (
                f"{done} joiner(s) onboarded; {len(pending)} waiting"
                + (" (latest 20):" if len(pending) == 20 else ":" if pending else "."),
            )
        ]
        lines += [(f"{a.employee.employee} ({a.joined_on}): {a.detail or 'in progress'}",) for a in pending]
        return format_html_join("", "<div>{}</div>", lines)

    @admin.action(description="Apply the enabled rules now", permissions=["change"])
    def apply_now(self, request, queryset):
        result = apply_onboarding_rules()
        self.message_user(
            request, f"Onboarding: {result.applied} applied, {result.pending} still pending.", messages.SUCCESS
        )


@admin.register(OnboardingApplication)
class OnboardingApplicationAdmin(ReadOnlyAdmin):
    list_display = [
        "employee",
        "rule",
        "joined_on",
        "status",
        "batch",
        "enrolled",
        "trained",
        "attempts",
        "detail",
        "updated_at",
    ]
    list_filter = ["status", "rule"]
    search_fields = ["employee__employee", "employee__employee_name"]
    list_select_related = ["employee", "rule", "batch"]
