"""The site's URLs with the Employee Compliance pages routed as the desk routes them (the desk's
url list is being reorganised; these two lines are what it gains)."""

from django.contrib import admin
from django.urls import path

from smoothlms.config.urls import urlpatterns as site_urlpatterns
from smoothlms.desk import compliance

urlpatterns = [
    path(
        "app/employee-compliance",
        admin.site.admin_view(compliance.employee_compliance_list),
        name="desk-employee-compliance",
    ),
    path(
        "app/employee-compliance/<str:employee>",
        admin.site.admin_view(compliance.employee_compliance_detail),
        name="desk-employee-compliance-detail",
    ),
    *site_urlpatterns,
]
