"""Learner portal paths (CONTRACT.md section 4), mounted at /lms/."""

from django.urls import path

from smoothlms.portal import assessments, certificates, learning, views

app_name = "portal"

urlpatterns = [
    path("batches", views.batch_list, name="batches"),
    path("batches/<str:name>", views.batch_detail, name="batch"),
    path("batches/<str:name>/enroll", views.batch_enroll, name="enroll"),
    path("batches/<str:name>/leave", views.batch_leave, name="leave"),
    path("courses", learning.my_courses, name="courses"),
    path("courses/<slug:course>", learning.course_outline, name="course"),
    path("courses/<slug:course>/learn/<int:chapter>-<int:lesson>", learning.lesson_page, name="lesson"),
    path(
        "courses/<slug:course>/learn/<int:chapter>-<int:lesson>/complete",
        learning.lesson_complete,
        name="lesson_complete",
    ),
    path("scorm/<int:lesson_id>/<path:path>", learning.scorm_file, name="scorm_file"),
    path("lesson-files/<int:lesson_id>", learning.lesson_file, name="lesson_file"),
    path("timetable", views.timetable, name="timetable"),
    path("timetable.ics", views.timetable_ics, name="timetable_ics"),
    path("timetable/<str:token>.ics", views.timetable_feed, name="timetable_feed"),
    path("profile", views.profile, name="profile"),
    path("assessments", assessments.due, name="assessments"),
    path("quizzes/<int:quiz_id>", assessments.quiz, name="quiz"),
    path("quizzes/<int:quiz_id>/start", assessments.quiz_start, name="quiz_start"),
    path("quizzes/<int:quiz_id>/attempt", assessments.quiz_attempt, name="quiz_attempt"),
    path("quizzes/<int:quiz_id>/submit", assessments.quiz_submit, name="quiz_submit"),
    path("quiz-submissions/<int:submission_id>", assessments.quiz_result, name="quiz_result"),
    path("assignments/<int:assignment_id>", assessments.assignment, name="assignment"),
    path("assignments/<int:assignment_id>/submit", assessments.assignment_submit, name="assignment_submit"),
    path("certificates/<str:name>.pdf", certificates.certificate_pdf, name="certificate_pdf"),
]
