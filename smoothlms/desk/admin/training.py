"""Desk pages of training: assignments (/app/lms-training-assignment, with an overdue filter),
certificates (quiz submissions: desk/admin/assessments.py). Assignments are made through training.services."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse

from smoothlms.core.errors import Conflict, DomainError
from smoothlms.desk.admin.base import ReadOnlyAdmin, ServiceSavedAdmin, adopt
from smoothlms.desk.filters import DateRangeFilter
from smoothlms.enrollment.models import Source
from smoothlms.training.errors import DueDateReasonRequired
from smoothlms.training.models import AssignmentStatus, Certificate, TrainingAssignment
from smoothlms.training.selectors import count_assignment_events, list_training_assignments, overdue_q
from smoothlms.training.services import assign_training, extend_due_date, remind_learner


class AlreadyAssigned(Conflict):
    """assign_training skipped the one user the form named: say why instead of saving nothing silently."""

    code = "already_assigned"
    message = "{email} already has an open assignment of {course}, or one due on {due_date}."


class ExtendDueDateForm(forms.Form):
    due_date = forms.DateField(label="New due date", widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(
        label="Reason (kept in the audit log)",
        max_length=500,
        error_messages={"required": DueDateReasonRequired.message},
        widget=forms.TextInput(attrs={"placeholder": "e.g. on leave until the 20th"}),
    )


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


class OverdueFilter(admin.SimpleListFilter):
    title = "overdue"
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", "Overdue"), ("no", "Not overdue")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(overdue_q())
        if self.value() == "no":
            return queryset.exclude(overdue_q())
        return queryset


@admin.register(TrainingAssignment)
class TrainingAssignmentAdmin(ServiceSavedAdmin):
    list_display = ["user", "course", "due_date", "status", "overdue", "assigned_by_rule", "created_at"]
    list_filter = [OverdueFilter, "status", "course", "due_date"]
    search_fields = ["user__email", "user__full_name", "course__name", "course__title"]
    list_select_related = ["user", "course"]
    autocomplete_fields = ["user"]  # by email or name (the User admin's search fields)
    actions = ["send_reminders", "extend_due_dates"]
    date_hierarchy = "due_date"
    list_per_page = 50
    export_kind = "training-assignments"
    add_fields = ["user", "course", "due_date"]
    readonly_fields = ["assigned_by", "assigned_by_rule", "completed_at", "created_at", "updated_at"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return self.add_fields
        return [*self.add_fields, "status", *self.readonly_fields]

    def get_readonly_fields(self, request, obj=None):
        # An assignment changes only through its services (completion, extending the due date).
        return [*self.add_fields, "status", *self.readonly_fields] if obj is not None else []

    @admin.display(description="Overdue", boolean=True)
    def overdue(self, obj: TrainingAssignment) -> bool:
        return obj.is_overdue

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # one at a time, and only while it has no history
        return actions

    def has_delete_permission(self, request, obj=None):
        # An assignment that was completed, cancelled, reminded or moved is evidence: kept.
        if obj is not None and (obj.status != AssignmentStatus.ASSIGNED or count_assignment_events(assignment=obj)):
            return False
        return super().has_delete_permission(request, obj)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # Nothing on an assignment's form is editable: it changes through the list's actions.
        extra_context = {
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
            **(extra_context or {}),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    # Actions --------------------------------------------------------------------------------

    @admin.action(description="Send reminder", permissions=["change"])
    def send_reminders(self, request, queryset):
        sent, refusals = 0, []
        for assignment in queryset.select_related("user", "course"):
            try:
                remind_learner(assignment=assignment, actor=request.user, source=Source.DESK)
            except DomainError as err:
                refusals.append(f"{assignment.user.email}: {err.user_message()}")
            else:
                sent += 1
        if sent:
            self.message_user(request, f"Reminder emailed for {_plural(sent, 'assignment')}.", messages.SUCCESS)
        for text in refusals:
            self.message_user(request, text, messages.ERROR)

    @admin.action(description="Extend due date", permissions=["change"])
    def extend_due_dates(self, request, queryset):
        assignments = list(queryset.select_related("user", "course"))
        confirmed = "confirm" in request.POST
        form = ExtendDueDateForm(request.POST if confirmed else None)
        if confirmed and form.is_valid():
            self._extend(request, assignments, **form.cleaned_data)
            return None
        return TemplateResponse(
            request,
            "desk/training/extend_due_date.html",
            {
                **self.admin_site.each_context(request),
                "title": "Extend due date",
                "opts": self.model._meta,
                "assignments": assignments,
                "form": form,
                "action": "extend_due_dates",
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            },
        )

    def _extend(self, request, assignments, *, due_date, reason) -> None:
        extended, refusals = 0, []
        for assignment in assignments:
            try:
                extend_due_date(
                    assignment=assignment, due_date=due_date, reason=reason, actor=request.user, source=Source.DESK
                )
            except DomainError as err:
                refusals.append(f"{assignment.user.email}: {err.user_message()}")
            else:
                extended += 1
        if extended:
            self.message_user(
                request, f"Extended {_plural(extended, 'assignment')} to {due_date:%d %b %Y}.", messages.SUCCESS
            )
        for text in refusals:
            self.message_user(request, text, messages.ERROR)

    def save_related(self, request, form, formsets, change):
        if change:
            return  # nothing on the change form is editable
        data = form.cleaned_data
        user, course, due_date = data["user"], data["course"], data["due_date"]
        result = self.call_service(
            assign_training, user_ids=[user.pk], courses=[course], due_date=due_date, actor=request.user
        )
        if not result.assigned:
            self.refuse(AlreadyAssigned(email=user.email, course=course.title, due_date=due_date.isoformat()))
        adopt(form.instance, list_training_assignments().get(user=user, course=course, due_date=due_date))


@admin.register(Certificate)
class CertificateAdmin(ReadOnlyAdmin):
    """Certificates are evidence: issued by the engine, never edited or deleted here."""

    list_display = ["name", "member", "course", "batch", "issue_date", "expiry_date"]
    list_filter = ["course", ("issue_date", DateRangeFilter)]
    list_select_related = ["member", "course", "batch"]
    search_fields = ["name", "member__email"]
    export_kind = "certificates"
