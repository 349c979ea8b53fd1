"""Learner portal paths (CONTRACT.md section 4), mounted at /lms/."""

from django.urls import path

from smoothlms.portal import certificates, views

app_name = "portal"

urlpatterns = [
    path("batches", views.batch_list, name="batches"),
    path("batches/<str:name>", views.batch_detail, name="batch"),
    path("batches/<str:name>/enroll", views.batch_enroll, name="enroll"),
    path("courses", views.courses, name="courses"),
    path("timetable", views.timetable, name="timetable"),
    path("timetable.ics", views.timetable_ics, name="timetable_ics"),
    path("timetable/<str:token>.ics", views.timetable_feed, name="timetable_feed"),
    path("profile", views.profile, name="profile"),
    path("certificates/<str:name>.pdf", certificates.certificate_pdf, name="certificate_pdf"),
]
