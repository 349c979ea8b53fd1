from django.contrib import admin

from smoothlms.catalog.models import Batch, BatchCourse, Course, LiveClass, LMSSettings


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    list_display = ["title", "name", "published", "created_at"]
    list_filter = ["published"]
    search_fields = ["title", "name"]
    prepopulated_fields = {"name": ["title"]}


class BatchCourseInline(admin.TabularInline):
    model = BatchCourse
    extra = 0
    autocomplete_fields = ["course"]


class LiveClassInline(admin.TabularInline):
    model = LiveClass
    extra = 0
    fields = ["title", "date", "time", "duration", "timezone", "join_url"]


@admin.register(Batch)
class BatchAdmin(admin.ModelAdmin):
    list_display = ["title", "name", "start_date", "start_time", "timezone", "seats_taken", "seat_count",
                    "allow_self_enrollment", "published"]
    list_filter = ["published", "allow_self_enrollment", "paid_batch"]
    search_fields = ["title", "name"]
    readonly_fields = ["seats_taken"]
    inlines = [BatchCourseInline, LiveClassInline]


@admin.register(LMSSettings)
class LMSSettingsAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
