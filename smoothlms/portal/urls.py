"""Learner portal paths (CONTRACT.md section 4), mounted at /lms/."""

from django.urls import path

from smoothlms.portal import learning, views

app_name = "portal"

urlpatterns = [
    path("batches", views.batch_list, name="batches"),
    path("batches/<str:name>", views.batch_detail, name="batch"),
    path("batches/<str:name>/enroll", views.batch_enroll, name="enroll"),
    path("batches/<str:name>/leave", views.batch_leave, name="leave"),
    path("courses", learning.my_courses, name="courses"),
    path("courses/<slug:course>", learning.course_outline, name="course"),
    path("courses/<slug:course>/learn/<int:chapter>-<int:lesson>", learning.lesson_page, name="lesson"),
    path("courses/<slug:course>/learn/<int:chapter>-<int:lesson>/complete", learning.lesson_complete,
         name="lesson_complete"),
    path("scorm/<int:lesson_id>/<path:path>", learning.scorm_file, name="scorm_file"),
    path("lesson-files/<int:lesson_id>", learning.lesson_file, name="lesson_file"),
    path("timetable", views.timetable, name="timetable"),
    path("timetable.ics", views.timetable_ics, name="timetable_ics"),
    path("timetable/<str:token>.ics", views.timetable_feed, name="timetable_feed"),
    path("profile", views.profile, name="profile"),
]
