"""Desk pages of the audit log's rows (append-only: read only). The filtered log with its
downloads is /desk/audit (smoothlms.desk.audit)."""

from __future__ import annotations

from django.contrib import admin

from smoothlms.core.models import EnrollmentEvent
from smoothlms.desk.admin.base import ReadOnlyAdmin


@admin.register(EnrollmentEvent)
class EnrollmentEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "kind", "actor_email", "member", "batch", "source", "reason"]
    list_filter = ["kind", "source"]
    search_fields = ["actor_email", "member__email", "batch__name", "reason"]
    list_select_related = ["member", "batch"]
    date_hierarchy = "created_at"
