from django.contrib import admin

from smoothlms.people.models import Employee, User


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    list_display = ["email", "full_name", "enabled", "roles", "last_login", "created_at"]
    list_filter = ["enabled", "groups"]
    search_fields = ["email", "full_name"]
    readonly_fields = ["last_login", "created_at", "password_set"]
    fields = ["email", "full_name", "enabled", "time_zone", "groups", "password_set", "last_login", "created_at"]
    filter_horizontal = ["groups"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description="Roles")
    def roles(self, obj: User) -> str:
        return ", ".join(sorted(g.name for g in obj.groups.all()))


@admin.register(Employee)
class EmployeeAdmin(admin.ModelAdmin):
    list_display = ["employee", "employee_name", "status", "user", "department", "designation",
                    "employment_type", "date_of_joining", "synced_at"]
    list_filter = ["status", "department", "employment_type"]
    search_fields = ["employee", "employee_name", "company_email", "personal_email", "user__email"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]
    readonly_fields = ["active_user", "created_at", "updated_at", "synced_at"]
