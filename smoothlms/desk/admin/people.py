"""Desk pages of people: users (/app/user), HR employees (/app/employee) and set-password emails.
An employee saved here goes through the HR provisioning service like every other HR path."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils.html import format_html

from smoothlms.core.errors import DomainError
from smoothlms.desk.admin.base import ReadOnlyAdmin, ServiceSavedAdmin, adopt
from smoothlms.desk.exporting import employees_response
from smoothlms.desk.filters import DateRangeFilter
from smoothlms.enrollment.models import Source
from smoothlms.enrollment.services import withdraw_disabled_user
from smoothlms.hr.onboarding import apply_onboarding_rules
from smoothlms.hr.records import EMPLOYEE_FIELDS, EmployeeRecord
from smoothlms.hr.selectors import get_hr_sync_status
from smoothlms.hr.services import provision_employee
from smoothlms.people.accounts import send_invitation
from smoothlms.people.models import Employee, User, UserInvitation
from smoothlms.people.services import clean_email, create_user, set_user_enabled, set_user_roles


class UserForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["email", "full_name", "enabled", "time_zone", "groups"]

    def clean_email(self) -> str:
        # Stored as the service stores it (trimmed, lower case), so the form's own checks (unique,
        # the lower-case constraint) see what will be saved.
        try:
            return clean_email(self.cleaned_data.get("email", ""))
        except DomainError as err:
            raise forms.ValidationError(err.user_message(), code=err.code) from None


@admin.register(User)
class UserAdmin(ServiceSavedAdmin):
    """Users are created, enabled or disabled and given roles through the people services, so every
    role change and every disabling is audited (the quarterly role audit reads those events).
    Users are never deleted here: disable them (history stays); `smoothlms purge_user` erases."""

    list_display = ["email", "full_name", "enabled", "roles", "password_set", "last_login", "created_at"]
    list_filter = ["enabled", "groups", "password_set"]
    search_fields = ["email", "full_name"]
    readonly_fields = ["last_login", "created_at", "password_set"]
    fields = ["email", "full_name", "enabled", "time_zone", "groups", "password_set", "last_login", "created_at"]
    filter_horizontal = ["groups"]
    actions = ["send_set_password_email"]
    form = UserForm

    def get_readonly_fields(self, request, obj=None):
        # The login email of an existing user changes only through HR provisioning.
        return [*self.readonly_fields, "email"] if obj is not None else self.readonly_fields

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    def save_related(self, request, form, formsets, change):
        data = form.cleaned_data
        roles = [group.name for group in data.get("groups", [])]
        if not change:
            created = self.call_service(
                create_user,
                email=data["email"],
                full_name=data.get("full_name", ""),
                roles=roles or None,
                enabled=data.get("enabled", True),
                time_zone=data.get("time_zone", ""),
                actor=request.user,
            )
            adopt(form.instance, created)
            return
        user = User.objects.get(pk=form.instance.pk)
        if user.full_name != data["full_name"] or user.time_zone != data.get("time_zone", ""):
            User.objects.filter(pk=user.pk).update(full_name=data["full_name"], time_zone=data.get("time_zone", ""))
        self.call_service(set_user_roles, user=user, roles=roles, actor=request.user)
        self.call_service(
            set_user_enabled, user=user, enabled=data["enabled"], actor=request.user, reason="Changed in the desk."
        )
        if not data["enabled"]:
            # Disabling leaves the cohorts that have not ended (CONTRACT.md section 14).
            self.call_service(withdraw_disabled_user, user=user, actor=request.user, source=Source.DESK)

    @admin.display(description="Roles")
    def roles(self, obj: User) -> str:
        return ", ".join(sorted(g.name for g in obj.groups.all()))

    @admin.action(description="Send a set-password email", permissions=["change"])
    def send_set_password_email(self, request, queryset):
        sent = 0
        for user in queryset.filter(enabled=True):
            send_invitation(user=user, actor=request.user)
            sent += 1
        self.message_user(
            request, f"Set-password email queued for {sent} user(s) (disabled users skipped).", messages.SUCCESS
        )


class EmployeeForm(forms.ModelForm):
    user_id = forms.EmailField(
        label="User ID",
        required=False,
        help_text="The user's email, when it is neither the company nor the personal email. "
        "Blank: the linked user, else Company Email, else Personal Email.",
    )

    class Meta:
        model = Employee
        fields = ["employee", *EMPLOYEE_FIELDS]

    def clean(self):
        cleaned = super().clean()
        for name in ("user_id", "company_email", "personal_email"):  # the one check of every address
            if cleaned.get(name):
                try:
                    cleaned[name] = clean_email(cleaned[name])
                except DomainError as err:
                    self.add_error(name, err.user_message())
        return cleaned


@admin.register(Employee)
class EmployeeAdmin(ServiceSavedAdmin):
    form = EmployeeForm
    list_display = [
        "employee",
        "employee_name",
        "status",
        "user_link",
        "user_enabled",
        "department",
        "designation",
        "employment_type",
        "date_of_joining",
        "relieving_date",
        "synced_at",
    ]
    list_filter = [("date_of_joining", DateRangeFilter), "department", "status", "employment_type"]
    search_fields = ["employee", "employee_name", "company_email", "personal_email", "user__email"]
    list_select_related = ["user"]
    list_per_page = 50
    readonly_fields = ["user", "modified_in_hr", "synced_at", "created_at", "updated_at"]
    actions = ["apply_onboarding"]
    change_list_template = "desk/employee/change_list.html"

    def get_fields(self, request, obj=None):
        return [
            "employee",
            "employee_name",
            "user_id",
            "company_email",
            "personal_email",
            "status",
            "date_of_joining",
            "relieving_date",
            "employment_type",
            "department",
            "designation",
            "reports_to",
            *self.readonly_fields,
        ]

    def get_readonly_fields(self, request, obj=None):
        # The HR id is the key: it is typed once, when the record is made.
        return [*self.readonly_fields, "employee"] if obj is not None else self.readonly_fields

    def has_delete_permission(self, request, obj=None):
        return False  # HR records are never deleted: a leaver has status Left

    def save_related(self, request, form, formsets, change):
        data = form.cleaned_data
        record = EmployeeRecord(
            employee=form.instance.employee if change else data["employee"].strip(),
            user_id=data.get("user_id") or "",
            **{name: data.get(name) for name in EMPLOYEE_FIELDS},
        )  # emails normalised by the record
        employee, action = self.call_service(provision_employee, record=record, actor=request.user, source="desk")
        adopt(form.instance, employee)
        if action not in ("unchanged", "update", "create"):
            self.message_user(request, f"{employee.employee}: {action} ({employee.user or 'no user'}).", messages.INFO)

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "hr_sync_status": get_hr_sync_status()}
        return super().changelist_view(request, extra_context)

    def has_export(self) -> bool:
        return True

    def export_view(self, request, fmt: str):
        """The list as filtered and searched on the page (every page of it), in the HR employee
        export's format, as CSV or XLSX."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        changelist = self.get_changelist_instance(request)
        return employees_response(changelist.get_queryset(request), fmt=fmt)

    @admin.display(description="User", ordering="user__email")
    def user_link(self, obj: Employee) -> str:
        if obj.user_id is None:
            return "-"
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:people_user_change", args=[obj.user_id]), obj.user.email
        )

    @admin.display(description="User enabled", boolean=True)
    def user_enabled(self, obj: Employee) -> bool | None:
        return None if obj.user_id is None else obj.user.enabled

    @admin.action(description="Apply onboarding rules now", permissions=["change"])
    def apply_onboarding(self, request, queryset):
        result = apply_onboarding_rules(employee_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(
            request, f"Onboarding: {result.applied} applied, {result.pending} still pending.", messages.SUCCESS
        )


@admin.register(UserInvitation)
class UserInvitationAdmin(ReadOnlyAdmin):
    list_display = ["user", "kind", "status", "attempts", "created_at", "sent_at", "error"]
    list_filter = ["status", "kind"]
    search_fields = ["user__email"]
    list_select_related = ["user"]
