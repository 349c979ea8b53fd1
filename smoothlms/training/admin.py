"""Desk pages of training: assignments (/app/lms-training-assignment, with an overdue filter),
certificates and quiz submissions."""

from __future__ import annotations

from django.contrib import admin
from django.utils import timezone

from smoothlms.training.models import AssignmentStatus, Certificate, QuizSubmission, TrainingAssignment
from smoothlms.training.selectors import overdue_q


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
class TrainingAssignmentAdmin(admin.ModelAdmin):
    list_display = ["user", "course", "due_date", "status", "overdue", "assigned_by_rule", "created_at"]
    list_filter = [OverdueFilter, "status", "course", "due_date"]
    search_fields = ["user__email", "user__full_name", "course__name", "course__title"]
    list_select_related = ["user", "course"]
    raw_id_fields = ["user"]
    date_hierarchy = "due_date"
    list_per_page = 50
    readonly_fields = ["assigned_by", "assigned_by_rule", "completed_at", "created_at", "updated_at"]
    change_list_template = "desk/change_list.html"
    change_form_template = "desk/change_form.html"

    @admin.display(description="Overdue", boolean=True)
    def overdue(self, obj: TrainingAssignment) -> bool:
        return obj.is_overdue

    def save_model(self, request, obj, form, change):
        if not change:
            obj.assigned_by = request.user
        if obj.status == AssignmentStatus.COMPLETED and obj.completed_at is None:
            obj.completed_at = timezone.now()
        super().save_model(request, obj, form, change)


@admin.register(Certificate)
class CertificateAdmin(admin.ModelAdmin):
    """Certificates are evidence: issued by the completion that earns them, never typed or edited."""

    list_display = ["name", "member", "course", "batch", "issue_date", "expiry_date"]
    list_select_related = ["member", "course", "batch"]
    search_fields = ["name", "member__email"]
    change_list_template = "desk/change_list.html"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(QuizSubmission)
class QuizSubmissionAdmin(admin.ModelAdmin):
    list_display = ["quiz", "member", "course", "percentage", "passed", "submitted_at"]
    list_select_related = ["member", "course"]
    search_fields = ["quiz", "member__email"]
    change_list_template = "desk/change_list.html"
