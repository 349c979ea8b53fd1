"""Desk pages of the catalog: courses, cohorts (LMS Batch) with their courses, live classes and
roster, and LMS Settings. Cohorts, courses and live classes are written through catalog.services,
enrollments through the engine, the roster is read through the enrollment selectors; the admin
holds no rule."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from smoothlms.catalog.models import Batch, BatchCourse, Course, LiveClass, LMSSettings
from smoothlms.catalog.services import (
    create_batch,
    create_course,
    schedule_live_class,
    unique_name,
    update_course,
    update_live_class,
)
from smoothlms.core.timeutil import time_zone_choices
from smoothlms.desk.addresses import record_key
from smoothlms.desk.admin.base import DeskAdmin, DeskView, ServiceSavedAdmin, adopt
from smoothlms.desk.admin.learning import CourseContentAdmin
from smoothlms.desk.enrolling import can_enroll, enroll_members_view, promote_now_view
from smoothlms.desk.forms import EnrollMembersForm
from smoothlms.enrollment.selectors import (
    count_course_enrollments,
    count_roster,
    list_roster_active_first,
    list_waitlist,
)
from smoothlms.enrollment.services import update_batch
from smoothlms.people.roles import can_read_rosters

ROSTER_SHOWN = 200


# Courses --------------------------------------------------------------------------------------


@admin.register(Course)
class CourseAdmin(CourseContentAdmin, ServiceSavedAdmin):  # the content section: desk/admin/learning.py
    list_display = ["title", "name", "published", "created_at"]
    list_filter = ["published"]
    search_fields = ["title", "name"]
    prepopulated_fields = {"name": ["title"]}
    fields = ["title", "name", "description", "published", "certificate", "validity_months", "control_id"]
    change_list_template = "desk/change_list.html"

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # one course at a time, and only while nobody is enrolled
        return actions

    def has_delete_permission(self, request, obj=None):
        # Enrollments in a course are evidence of training: such a course is kept (unpublish it instead).
        if obj is not None and count_course_enrollments(course=obj):
            return False
        return super().has_delete_permission(request, obj)

    def save_related(self, request, form, formsets, change):
        values = {name: form.cleaned_data[name] for name in self.fields}
        if change:
            changes = {name: values[name] for name in form.changed_data if name in values}
            self.call_service(update_course, course=form.instance, actor=request.user, **changes)
        else:
            course = self.call_service(create_course, actor=request.user, **values)
            adopt(form.instance, course)


# Cohorts --------------------------------------------------------------------------------------


class BatchCourseInline(admin.TabularInline):
    model = BatchCourse
    extra = 0
    autocomplete_fields = ["course"]
    fields = ["course", "position"]
    verbose_name = "course"
    verbose_name_plural = "Courses (in order)"


class LiveClassForm(forms.ModelForm):
    """A blank time zone means the cohort's."""

    # A join link typed without a scheme is an https one (video meetings are).
    join_url = forms.URLField(
        required=False, assume_scheme="https", widget=forms.URLInput(attrs={"size": 20, "placeholder": "https://"})
    )

    class Meta:
        model = LiveClass
        fields = ["title", "date", "time", "duration", "timezone", "join_url"]
        widgets = {
            "title": forms.TextInput(attrs={"size": 22}),
            "duration": forms.NumberInput(attrs={"style": "width:5em", "min": 1}),
        }

    def __init__(self, *args, parent_timezone: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.parent_timezone = parent_timezone
        self.fields["timezone"] = forms.ChoiceField(
            choices=[("", "(the cohort's)")] + time_zone_choices(), required=False, label="Time zone"
        )

    def clean_timezone(self) -> str:
        return self.cleaned_data.get("timezone") or self.parent_timezone


class LiveClassInline(admin.TabularInline):
    model = LiveClass
    form = LiveClassForm
    extra = 0
    fields = ["title", "date", "time", "duration", "timezone", "join_url"]
    verbose_name_plural = "Live classes"


class BatchForm(forms.ModelForm):
    class Meta:
        model = Batch
        fields = [
            "title",
            "name",
            "description",
            "start_date",
            "start_time",
            "end_date",
            "end_time",
            "timezone",
            "late_join_policy",
            "seat_count",
            "allow_self_enrollment",
            "waitlist_enabled",
            "allow_self_cancel",
            "published",
            "paid_batch",
            "amount",
            "currency",
            "confirmation_email_template",
            "certification",
        ]
        widgets = {
            "timezone": forms.Select(choices=time_zone_choices()),
            "description": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "name" in self.fields:
            self.fields["name"].required = False
            self.fields["name"].help_text = "Used in links (/lms/batches/<name>). Blank: made from the title."

    def clean(self):
        cleaned = super().clean()
        if "name" in self.fields and not cleaned.get("name") and cleaned.get("title"):
            cleaned["name"] = unique_name(Batch, cleaned["title"])
        return cleaned


class StartFilter(admin.SimpleListFilter):
    title = "when"
    parameter_name = "when"

    def lookups(self, request, model_admin):
        return [("upcoming", "Upcoming"), ("running", "Running"), ("ended", "Ended")]

    def queryset(self, request, queryset):
        # By dates: a day's precision is what a list filter needs (each row shows the exact times).
        today = timezone.localdate()
        if self.value() == "upcoming":
            return queryset.filter(start_date__gt=today)
        if self.value() == "running":
            return queryset.filter(start_date__lte=today, end_date__gte=today)
        if self.value() == "ended":
            return queryset.filter(end_date__lt=today)
        return queryset


class SeatsFilter(admin.SimpleListFilter):
    title = "seats"
    parameter_name = "seats"

    def lookups(self, request, model_admin):
        return [("free", "Seats left"), ("full", "Full"), ("unlimited", "Unlimited")]

    def queryset(self, request, queryset):
        if self.value() == "free":
            return queryset.filter(seat_count__gt=F("seats_taken"))
        if self.value() == "full":
            return queryset.filter(seat_count__isnull=False, seats_taken__gte=F("seat_count"))
        if self.value() == "unlimited":
            return queryset.filter(seat_count__isnull=True)
        return queryset


@admin.register(Batch)
class BatchAdmin(ServiceSavedAdmin):
    form = BatchForm
    list_display = ["title_link", "dates", "seats", "self_enrollment", "is_published"]
    list_display_links = None
    list_filter = [StartFilter, "published", "allow_self_enrollment", SeatsFilter, "paid_batch"]
    search_fields = ["title", "name"]
    readonly_fields = ["seats_taken"]
    inlines = [BatchCourseInline, LiveClassInline]
    prepopulated_fields = {"name": ["title"]}
    list_per_page = 50
    change_form_template = "desk/batch/change_form.html"
    fieldsets = [
        (None, {"fields": ["title", "name", "description"]}),
        (
            "Schedule",
            {
                "fields": [("start_date", "start_time"), ("end_date", "end_time"), "timezone", "late_join_policy"],
                "description": "Start and end are wall-clock times in the cohort's own time zone.",
            },
        ),
        (
            "Seats and enrollment",
            {
                "fields": [
                    ("seat_count", "seats_taken"),
                    "allow_self_enrollment",
                    "waitlist_enabled",
                    "allow_self_cancel",
                    "published",
                ]
            },
        ),
        ("Certificates", {"fields": ["certification"]}),
        ("Payment", {"fields": ["paid_batch", ("amount", "currency")], "classes": ["collapse"]}),
        ("Emails", {"fields": ["confirmation_email_template"], "classes": ["collapse"]}),
    ]

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(request, {"title": "LMS Batches (cohorts)", **(extra_context or {})})

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # one cohort at a time, and only while it has no enrollments
        return actions

    def has_delete_permission(self, request, obj=None):
        if obj is not None and (obj.seats_taken or any(count_roster(batch=obj).values())):
            return False
        return super().has_delete_permission(request, obj)

    @admin.display(description="Cohort", ordering="title")
    def title_link(self, obj: Batch):
        return format_html(
            '<a href="{}"><strong>{}</strong></a><div class="desk-sub">{}</div>',
            reverse("admin:catalog_batch_change", args=[record_key(obj)]),
            obj.title,
            obj.name,
        )

    @admin.display(description="Self-enrollment", boolean=True, ordering="allow_self_enrollment")
    def self_enrollment(self, obj: Batch) -> bool:
        return obj.allow_self_enrollment

    @admin.display(description="Published", boolean=True, ordering="published")
    def is_published(self, obj: Batch) -> bool:
        return obj.published

    @admin.display(description="Dates", ordering="start_date")
    def dates(self, obj: Batch):
        same_year = obj.start_date.year == obj.end_date.year
        start = obj.start_date.strftime("%d %b" if same_year else "%d %b %Y")
        return format_html(
            '{} {} – {} {}<div class="desk-sub">{}</div>',
            start,
            obj.start_time.strftime("%H:%M"),
            obj.end_date.strftime("%d %b %Y"),
            obj.end_time.strftime("%H:%M"),
            obj.timezone,
        )

    @admin.display(description="Seats taken / count (left)", ordering="seats_taken")
    def seats(self, obj: Batch):
        if obj.seat_count is None:
            return format_html('{} / <span title="no limit">∞</span>', obj.seats_taken)
        left = max(obj.seat_count - obj.seats_taken, 0)
        tone = "full" if left == 0 else "warn" if left <= max(obj.seat_count // 5, 1) else "ok"
        return format_html(
            '{} / {} <span class="desk-pill {}">{}</span>',
            obj.seats_taken,
            obj.seat_count,
            tone,
            "Sold out" if left == 0 else f"{left} left",
        )

    @property
    def media(self):
        # The enroll dialog's user picker, merged so that each script loads once.
        return super().media + EnrollMembersForm().media

    def get_formset_kwargs(self, request, obj, inline, prefix):
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        if isinstance(inline, LiveClassInline):
            kwargs["form_kwargs"] = {"parent_timezone": getattr(obj, "timezone", "") or ""}
        return kwargs

    def desk_views(self) -> list[DeskView]:
        return [
            DeskView("enroll", enroll_members_view, "enroll", keyed=True, permission="add"),
            DeskView("promote", promote_now_view, "promote", keyed=True, permission="add"),
        ]

    def change_view(self, request: HttpRequest, object_id, form_url="", extra_context=None):
        batch = self.get_object(request, object_id)
        if batch is not None:
            may_read = can_read_rosters(request.user)  # learners' names and emails: the API's rule
            roster = list(list_roster_active_first(batch=batch)[:ROSTER_SHOWN]) if may_read else []
            counts = count_roster(batch=batch)
            extra_context = {
                **(extra_context or {}),
                "roster": roster,
                "roster_counts": counts,
                "roster_total": sum(counts.values()),
                "roster_shown": len(roster),
                "may_read_roster": may_read,
                "waitlist": list(list_waitlist(batch=batch).select_related("member")[:ROSTER_SHOWN])
                if may_read
                else [],
                "seats_left": batch.seats_left,
                "can_enroll": can_enroll(request),
                "can_cancel": request.user.has_perm("enrollment.change_batchenrollment"),
                "has_started": batch.has_started(),
                "has_ended": batch.has_ended(),
                "enroll_form": EnrollMembersForm() if can_enroll(request) else None,
            }
        return super().change_view(request, object_id, form_url, extra_context)

    def save_related(self, request, form, formsets, change):
        fields = {name: value for name, value in form.cleaned_data.items() if name in _BATCH_FIELDS}
        course_formset = next((fs for fs in formsets if fs.model is BatchCourse), None)
        courses = _ordered_courses(course_formset) if course_formset is not None else None
        batch = form.instance
        if change:
            changes = {name: fields[name] for name in form.changed_data if name in fields}
            self.call_service(update_batch, batch=batch, actor=request.user, courses=courses, **changes)
        else:
            title = fields.pop("title")
            name = fields.pop("name", "")
            created = self.call_service(
                create_batch, title=title, name=name, courses=courses, actor=request.user, **fields
            )
            adopt(batch, created)
        if course_formset is not None:
            course_formset.save(commit=False)  # writes nothing: lists the changes for the admin's history
        for formset in formsets:
            if formset.model is LiveClass:
                self.call_service(_save_live_classes, formset=formset, batch=batch, actor=request.user)


_BATCH_FIELDS = {f.name for f in Batch._meta.concrete_fields if f.editable and not f.primary_key}


def _ordered_courses(formset) -> list[Course]:
    kept = []
    for index, item in enumerate(formset.forms):
        data = getattr(item, "cleaned_data", None) or {}
        if data.get("course") and not data.get("DELETE"):
            kept.append((data.get("position") or 0, index, data["course"]))
    return [course for _position, _index, course in sorted(kept, key=lambda k: (k[0], k[1]))]


LIVE_CLASS_FIELDS = ("title", "date", "time", "duration", "timezone", "join_url")


def _save_live_classes(*, formset, batch: Batch, actor) -> None:
    """New classes through schedule_live_class, changed ones through update_live_class (which moves
    them in learners' calendars when their time changes). Removing a class deletes its row: no
    service cancels a live class yet."""
    with transaction.atomic():
        formset.instance = batch
        formset.save(commit=False)  # sorts the forms into new, changed and deleted objects
        for obj in formset.deleted_objects:
            obj.delete()
        for obj, changed in formset.changed_objects:
            changes = {name: getattr(obj, name) for name in changed if name in LIVE_CLASS_FIELDS}
            if changes:
                update_live_class(live_class=LiveClass.objects.get(pk=obj.pk), actor=actor, **changes)
        for obj in formset.new_objects:
            schedule_live_class(batch=batch, actor=actor, **{name: getattr(obj, name) for name in LIVE_CLASS_FIELDS})


# Settings -------------------------------------------------------------------------------------


@admin.register(LMSSettings)
class LMSSettingsAdmin(DeskAdmin):
    """One row: its address (/app/lms-settings) is its form."""

    def changelist_view(self, request, extra_context=None):
        settings_row = LMSSettings.load()
        return self.change_view(request, str(settings_row.pk), extra_context=extra_context)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
