from django.contrib import admin

from smoothlms.core.models import EnrollmentEvent


@admin.register(EnrollmentEvent)
class EnrollmentEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "actor_email", "member", "batch", "source", "reason"]
    list_filter = ["kind", "source"]
    search_fields = ["actor_email", "member__email", "batch__name", "reason"]
    list_select_related = ["member", "batch"]
    date_hierarchy = "created_at"
    change_list_template = "desk/change_list.html"
    change_form_template = "desk/change_form.html"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
