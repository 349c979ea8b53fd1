from django.contrib import admin

from smoothlms.hr.models import HRSyncRun


@admin.register(HRSyncRun)
class HRSyncRunAdmin(admin.ModelAdmin):
    list_display = ["started_at", "status", "fetched", "changed", "finished_at", "error"]
    list_filter = ["status"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
