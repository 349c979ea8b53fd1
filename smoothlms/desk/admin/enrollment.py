"""Desk pages of enrollments. Nothing here edits an enrollment in a way that skips the rules:
status, seats and email state are read-only; adding goes through `enroll`, cancelling through
`cancel_enrollment` (an action), importing through the engine's bulk path."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import Q
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.html import format_html

from smoothlms.catalog.models import Batch
from smoothlms.core.errors import DomainError
from smoothlms.desk.admin.base import DeskAdmin, DeskView, ReadOnlyAdmin, ServiceSavedAdmin, adopt
from smoothlms.desk.enrolling import add_enrollment_view, can_enroll, cancel_many, cancel_one_view
from smoothlms.desk.exporting import kind_response
from smoothlms.desk.forms import CancelForm
from smoothlms.desk.importing import import_view
from smoothlms.enrollment.models import BatchEnrollment, CourseEnrollment, EnrollmentStatus, Payment
from smoothlms.enrollment.services import record_payment
from smoothlms.notifications.services import resend_confirmation

COHORT_CHOICES = 40


class CohortFilter(admin.SimpleListFilter):
    """By cohort name (`?batch=<name>`): the cohorts that have not ended, soonest first, and the one chosen."""

    title = "cohort"
    parameter_name = "batch"

    def lookups(self, request, model_admin):
        today = timezone.localdate()
        chosen = self.value()
        cohorts = (
            Batch.objects.filter(Q(end_date__gte=today) | Q(name=chosen or ""))
            .order_by("start_date", "name")
            .values_list("name", "title")[:COHORT_CHOICES]
        )
        return list(cohorts)

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(batch__name=self.value())
        return queryset


class CourseCohortFilter(CohortFilter):
    """By the cohort that gave the course (`?batch=<name>`)."""

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(enrollment_from_batch__name=self.value())
        return queryset


@admin.register(BatchEnrollment)
class BatchEnrollmentAdmin(DeskAdmin):
    list_display = ["enrollment_name", "member_link", "batch", "member_type", "status_badge", "email_badge", "created"]
    list_display_links = ["enrollment_name"]
    list_filter = ["status", CohortFilter, "member_type", "source", "confirmation_email_status"]
    search_fields = ["member__email", "member__full_name", "batch__name", "batch__title"]
    list_select_related = ["member", "batch"]
    list_per_page = 50
    export_kind = "batch-enrollments"
    actions = ["cancel_enrollments", "resend_confirmations", "export_csv", "export_xlsx"]
    change_list_template = "desk/enrollment/change_list.html"
    fields = [
        "batch",
        "member",
        "member_type",
        "status",
        "source",
        "override_reason",
        "created_by",
        "created_at",
        "cancelled_at",
        "confirmation_email_status",
        "confirmation_email_sent",
        "confirmation_email_sent_at",
        "confirmation_email_error",
        "payment",
    ]
    readonly_fields = fields

    # Permissions: viewing follows the role; adding is the engine's form; nothing is edited or deleted.
    def has_add_permission(self, request):
        return can_enroll(request)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_cancel_permission(self, request):
        return request.user.has_perm("enrollment.change_batchenrollment")

    def add_view(self, request, form_url="", extra_context=None):
        return add_enrollment_view(request)

    def desk_views(self) -> list[DeskView]:
        return [
            DeskView("import", import_view, "import", permission="add"),
            *super().desk_views(),
            DeskView("cancel", cancel_one_view, "cancel", keyed=True, permission="change"),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {"title": "LMS Batch Enrollments", **(extra_context or {}), "can_enroll": can_enroll(request)}
        return super().changelist_view(request, extra_context)

    # Columns --------------------------------------------------------------------------------

    @admin.display(description="Name", ordering="id")
    def enrollment_name(self, obj: BatchEnrollment) -> str:
        return obj.name

    @admin.display(description="Member", ordering="member__email")
    def member_link(self, obj: BatchEnrollment):
        return format_html('{}<div class="desk-sub">{}</div>', obj.member.email, obj.member.full_name)

    @admin.display(description="Status · source", ordering="status")
    def status_badge(self, obj: BatchEnrollment):
        return format_html(
            '<span class="desk-pill {}">{}</span><div class="desk-sub">{}</div>',
            obj.status,
            obj.get_status_display(),
            obj.get_source_display(),
        )

    @admin.display(description="Enrolled", ordering="created_at")
    def created(self, obj: BatchEnrollment):
        local = timezone.localtime(obj.created_at)
        return format_html('{}<div class="desk-sub">{}</div>', local.strftime("%d %b %Y"), local.strftime("%H:%M"))

    @admin.display(description="Email", ordering="confirmation_email_status")
    def email_badge(self, obj: BatchEnrollment):
        return format_html(
            '<span class="desk-pill email-{}">{}</span>',
            obj.confirmation_email_status,
            obj.get_confirmation_email_status_display(),
        )

    # Actions and downloads ------------------------------------------------------------------

    @admin.action(description="Cancel selected enrollments (frees their seats)", permissions=["cancel"])
    def cancel_enrollments(self, request, queryset):
        enrollments = list(queryset.select_related("batch", "member"))
        active = [e for e in enrollments if e.status == EnrollmentStatus.ACTIVE]
        form = CancelForm(request.POST if "confirm" in request.POST else None)
        if "confirm" in request.POST and form.is_valid():
            cancelled, refusals = cancel_many(request, active, reason=form.cleaned_data["reason"])
            if cancelled:
                self.message_user(
                    request,
                    f"Cancelled {cancelled} enrollment{'s' if cancelled != 1 else ''}; their seats are free again.",
                    messages.SUCCESS,
                )
            for text in refusals:
                self.message_user(request, text, messages.ERROR)
            if len(enrollments) > len(active):
                self.message_user(
                    request,
                    f"{len(enrollments) - len(active)} selected enrollments were not active and were left as they are.",
                    messages.WARNING,
                )
            return None
        return TemplateResponse(
            request,
            "desk/cancel_confirm.html",
            {
                **self.admin_site.each_context(request),
                "title": "Cancel enrollments",
                "opts": self.model._meta,
                "enrollments": enrollments,
                "active_count": len(active),
                "form": form,
                "single": False,
                "action": "cancel_enrollments",
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            },
        )

    @admin.action(description="Resend confirmation email", permissions=["cancel"])
    def resend_confirmations(self, request, queryset):
        queued = 0
        for enrollment in queryset.select_related("batch", "member"):
            try:
                resend_confirmation(enrollment=enrollment, actor=request.user)
                queued += 1
            except DomainError as err:
                self.message_user(request, f"{enrollment.member.email}: {err.user_message()}", messages.ERROR)
        if queued:
            self.message_user(
                request, f"Queued {queued} confirmation email{'s' if queued != 1 else ''}.", messages.SUCCESS
            )

    @admin.action(description="Export selected (CSV)")
    def export_csv(self, request, queryset):
        return kind_response(self.export_kind, queryset, fmt="csv", stem="lms-batch-enrollments")

    @admin.action(description="Export selected (Excel)")
    def export_xlsx(self, request, queryset):
        return kind_response(self.export_kind, queryset, fmt="xlsx", stem="lms-batch-enrollments")

    def export_stem(self, request) -> str:
        batch = request.GET.get("batch")
        return f"lms-batch-enrollments-{batch}" if batch else "lms-batch-enrollments"


@admin.register(CourseEnrollment)
class CourseEnrollmentAdmin(ReadOnlyAdmin):
    """Course access follows cohort enrollment (the engine grants and withdraws it): read only."""

    list_display = ["member", "course", "enrollment_from_batch", "progress", "created_at"]
    list_select_related = ["member", "course", "enrollment_from_batch"]
    search_fields = ["member__email", "course__name", "course__title"]
    list_filter = ["course", CourseCohortFilter]
    export_kind = "course-enrollments"


@admin.register(Payment)
class PaymentAdmin(ServiceSavedAdmin):
    """Payments are recorded through record_payment and kept as they are (no edits, no deletes)."""

    list_display = ["member", "batch", "amount", "currency", "status", "reference", "received_at"]
    list_filter = ["status", "currency"]
    list_select_related = ["member", "batch"]
    search_fields = ["member__email", "batch__name", "reference"]
    autocomplete_fields = ["member", "batch"]
    fields = ["member", "batch", "amount", "currency", "reference"]

    def get_readonly_fields(self, request, obj=None):
        return ["status", "received_at", "created_by", *self.fields] if obj else []

    def get_fields(self, request, obj=None):
        return [*self.fields, "status", "received_at", "created_by"] if obj else self.fields

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_related(self, request, form, formsets, change):
        data = form.cleaned_data
        payment = self.call_service(
            record_payment,
            batch=data["batch"],
            member=data["member"],
            amount=data["amount"],
            currency=data["currency"],
            reference=data["reference"],
            actor=request.user,
        )
        adopt(form.instance, payment)
