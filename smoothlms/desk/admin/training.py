"""Desk pages of training: assignments (/app/lms-training-assignment, with an overdue filter),
certificates and quiz submissions. Assignments are made through training.services."""

from __future__ import annotations

from django.contrib import admin

from smoothlms.core.errors import Conflict
from smoothlms.desk.admin.base import DeskAdmin, ServiceSavedAdmin, adopt
from smoothlms.desk.filters import DateRangeFilter
from smoothlms.training.models import Certificate, QuizSubmission, TrainingAssignment
from smoothlms.training.selectors import list_training_assignments, overdue_q
from smoothlms.training.services import assign_training


class AlreadyAssigned(Conflict):
    """assign_training skipped the one user the form named: say why instead of saving nothing silently."""

    code = "already_assigned"
    message = "{email} already has an open assignment of {course}, or one due on {due_date}."


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
    raw_id_fields = ["user"]
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

    def save_related(self, request, form, formsets, change):
        if change:
            return  # nothing on the change form is editable
        data = form.cleaned_data
        user, course, due_date = data["user"], data["course"], data["due_date"]
        result = self.call_service(assign_training, user_ids=[user.pk], courses=[course], due_date=due_date,
                                   actor=request.user)
        if not result.assigned:
            self.refuse(AlreadyAssigned(email=user.email, course=course.title, due_date=due_date.isoformat()))
        adopt(form.instance, list_training_assignments().get(user=user, course=course, due_date=due_date))


@admin.register(Certificate)
class CertificateAdmin(DeskAdmin):
    list_display = ["name", "member", "course", "issue_date", "expiry_date"]
    list_filter = ["course", ("issue_date", DateRangeFilter)]
    list_select_related = ["member", "course"]
    search_fields = ["name", "member__email"]
    export_kind = "certificates"


@admin.register(QuizSubmission)
class QuizSubmissionAdmin(DeskAdmin):
    list_display = ["quiz", "member", "course", "percentage", "passed", "submitted_at"]
    list_filter = ["passed", "course", ("submitted_at", DateRangeFilter)]
    list_select_related = ["member", "course"]
    search_fields = ["quiz", "member__email"]
    export_kind = "quiz-submissions"
