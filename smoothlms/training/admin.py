from django.contrib import admin

from smoothlms.training.models import Certificate, QuizSubmission, TrainingAssignment


@admin.register(TrainingAssignment)
class TrainingAssignmentAdmin(admin.ModelAdmin):
    list_display = ["user", "course", "due_date", "status", "assigned_by_rule"]
    list_filter = ["status", "course"]
    search_fields = ["user__email", "course__name"]
    list_select_related = ["user", "course"]
    raw_id_fields = ["user"]


@admin.register(Certificate)
class CertificateAdmin(admin.ModelAdmin):
    list_display = ["name", "member", "course", "issue_date", "expiry_date"]
    list_select_related = ["member", "course"]
    search_fields = ["name", "member__email"]


@admin.register(QuizSubmission)
class QuizSubmissionAdmin(admin.ModelAdmin):
    list_display = ["quiz", "member", "course", "percentage", "passed", "submitted_at"]
    list_select_related = ["member", "course"]
    search_fields = ["quiz", "member__email"]
