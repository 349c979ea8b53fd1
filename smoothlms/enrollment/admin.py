from django.contrib import admin

from smoothlms.enrollment.models import BatchEnrollment, CourseEnrollment, Payment


@admin.register(BatchEnrollment)
class BatchEnrollmentAdmin(admin.ModelAdmin):
    list_display = ["member", "batch", "member_type", "status", "source", "confirmation_email_sent", "created_at"]
    list_filter = ["status", "source", "member_type", "confirmation_email_status"]
    search_fields = ["member__email", "batch__name", "batch__title"]
    list_select_related = ["member", "batch"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CourseEnrollment)
class CourseEnrollmentAdmin(admin.ModelAdmin):
    list_display = ["member", "course", "enrollment_from_batch", "progress", "created_at"]
    list_select_related = ["member", "course", "enrollment_from_batch"]
    search_fields = ["member__email", "course__name"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = ["member", "batch", "amount", "currency", "status", "received_at"]
    list_filter = ["status", "currency"]
    list_select_related = ["member", "batch"]
    raw_id_fields = ["member", "batch"]
