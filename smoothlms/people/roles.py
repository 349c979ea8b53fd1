"""The roles of CONTRACT.md section 2 (stored as auth groups) and what each may do in the desk."""

from __future__ import annotations

from django.db import models


class Role(models.TextChoices):
    SYSTEM_MANAGER = "System Manager"
    MODERATOR = "Moderator"
    COURSE_CREATOR = "Course Creator"
    BATCH_EVALUATOR = "Batch Evaluator"
    HR_MANAGER = "HR Manager"
    LMS_STUDENT = "LMS Student"


STAFF_ROLES = frozenset(
    {Role.SYSTEM_MANAGER, Role.MODERATOR, Role.COURSE_CREATOR, Role.BATCH_EVALUATOR, Role.HR_MANAGER}
)
DEFAULT_ROLES = (Role.LMS_STUDENT,)

# Desk permissions per role: {app_label.model: actions}. System Manager has every permission.
# Django's model permissions ("view", "add", "change", "delete") drive the admin; rules that
# matter (seats, enrollment) live in services, so "change" here never means "bypass a rule".
ALL = ("view", "add", "change", "delete")
VIEW = ("view",)
ROLE_PERMISSIONS: dict[str, dict[str, tuple[str, ...]]] = {
    Role.MODERATOR: {
        "catalog.batch": ALL,
        "catalog.batchcourse": ALL,
        "catalog.liveclass": ALL,
        "catalog.course": ("view", "add", "change"),
        "catalog.lmssettings": ("view", "change"),
        "notifications.emailtemplate": ALL,
        "enrollment.batchenrollment": ("view", "add", "change"),
        "enrollment.courseenrollment": VIEW,
        "enrollment.payment": ("view", "add", "change"),
        "training.trainingassignment": ("view", "add", "change"),
        "training.certificate": VIEW,
        "training.quizsubmission": VIEW,
        "people.user": VIEW,
        "people.employee": VIEW,
        "core.enrollmentevent": VIEW,
    },
    Role.COURSE_CREATOR: {
        "catalog.course": ("view", "add", "change"),
        "catalog.batch": VIEW,
    },
    Role.BATCH_EVALUATOR: {
        "catalog.batch": VIEW,
        "catalog.course": VIEW,
        "catalog.liveclass": VIEW,
        "enrollment.batchenrollment": VIEW,
        "enrollment.courseenrollment": VIEW,
        "training.quizsubmission": VIEW,
        "training.certificate": VIEW,
    },
    Role.HR_MANAGER: {
        "people.employee": ("view", "add", "change"),
        "people.user": VIEW,
        "hr.onboardingrule": ALL,
        "hr.onboardingapplication": VIEW,
        "hr.userinvitation": VIEW,
        "hr.hrsyncrun": VIEW,
        "training.trainingassignment": ("view", "add", "change"),
        "catalog.batch": VIEW,
        "catalog.course": VIEW,
        "enrollment.batchenrollment": VIEW,
    },
}
