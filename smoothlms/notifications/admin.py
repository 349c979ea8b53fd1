from django.contrib import admin

from smoothlms.notifications.models import EmailTemplate


@admin.register(EmailTemplate)
class EmailTemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "subject", "updated_at"]
    search_fields = ["name", "subject"]
