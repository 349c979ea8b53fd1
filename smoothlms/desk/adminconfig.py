from django.contrib.admin.apps import AdminConfig


class DeskAdminConfig(AdminConfig):
    """Django admin, served as the desk at /app/ (staff roles only)."""

    default_site = "smoothlms.desk.site.DeskSite"
