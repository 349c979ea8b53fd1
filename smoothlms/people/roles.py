"""The roles of CONTRACT.md section 2 (stored as auth groups), who may do what, and what each role
may do in the desk.

Every role check of the code is one of the predicates below (the user model's `is_staff`, the
engine's permission checks, the API's `require_roles` sets, the desk's pages): a rule about who may
do something is written here once.
"""

from __future__ import annotations

from typing import Protocol

from django.contrib.auth.models import Group
from django.db import connection, models
from django.db.models import QuerySet


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


class UserLike(Protocol):
    """What the checks read of a user (people.models.User, which imports this module)."""

    enabled: bool
    is_superuser: bool

    @property
    def role_names(self) -> frozenset[str]: ...

    def has_role(self, *roles: str) -> bool: ...


# Who may do what (CONTRACT.md sections 2 and 5). System Manager may do everything.
MODERATORS = (Role.MODERATOR, Role.SYSTEM_MANAGER)
COURSE_EDITORS = (Role.COURSE_CREATOR, Role.MODERATOR, Role.SYSTEM_MANAGER)
ROSTER_READERS = (Role.MODERATOR, Role.BATCH_EVALUATOR, Role.SYSTEM_MANAGER)
USER_ADMINS = (Role.SYSTEM_MANAGER,)
HR_MANAGERS = (Role.HR_MANAGER, Role.SYSTEM_MANAGER)
RECONCILERS = (Role.HR_MANAGER, Role.MODERATOR, Role.SYSTEM_MANAGER)
TRAINING_READERS = (Role.MODERATOR, Role.HR_MANAGER, Role.SYSTEM_MANAGER)  # employees' training: HR too


def is_staff_role(user: UserLike) -> bool:
    """Reaches the desk: an enabled user with a staff role (or a superuser). Students never do."""
    return user.enabled and (user.is_superuser or bool(user.role_names & STAFF_ROLES))


def is_moderator(user: UserLike) -> bool:
    """Runs cohorts: enrolls others, overrides the start, cancels, creates and changes cohorts."""
    return user.has_role(*MODERATORS)


def can_edit_courses(user: UserLike) -> bool:
    return user.has_role(*COURSE_EDITORS)


def can_read_rosters(user: UserLike) -> bool:
    """Reads a cohort's members (names, emails, progress): the API's roster endpoints and the desk's
    cohort page alike (CONTRACT.md section 10)."""
    return user.has_role(*ROSTER_READERS)


def can_read_training(user: UserLike) -> bool:
    """Reads who is assigned training and who is overdue (the desk's assignments and dashboard)."""
    return user.has_role(*TRAINING_READERS)


def can_manage_users(user: UserLike) -> bool:
    return user.has_role(*USER_ADMINS)


def can_manage_hr(user: UserLike) -> bool:
    """Employees, HR sync, and the users made for HR records."""
    return user.has_role(*HR_MANAGERS)


def can_reconcile(user: UserLike) -> bool:
    """Compares an HR headcount with a cohort's roster."""
    return user.has_role(*RECONCILERS)


def is_student(user: UserLike) -> bool:
    """Holds the LMS Student role, which enrolling needs (System Manager does not imply it)."""
    return Role.LMS_STUDENT in user.role_names


def holds_staff_role(role_names: frozenset[str] | set[str]) -> bool:
    """Whether a set of role names has a staff role (HR provisioning may not take such an account over)."""
    return bool(set(role_names) & STAFF_ROLES)


def staff_memberships() -> QuerySet:
    """The role rows of staff roles, for many users in one query: filter on `user_id`."""
    return Group.user_set.through.objects.filter(group__name__in=sorted(STAFF_ROLES))


def system_manager_memberships() -> QuerySet:
    """The role rows of the System Manager role: filter on `user_id`."""
    return Group.user_set.through.objects.filter(group__name=Role.SYSTEM_MANAGER)


def student_memberships() -> QuerySet:
    """The role rows behind `is_student`, for many users in one query: filter on `user_id`."""
    return Group.user_set.through.objects.filter(group__name=Role.LMS_STUDENT)


def is_student_sql(user_id: str) -> tuple[str, list]:
    """`is_student` as an SQL condition on the column `user_id`, for raw SQL, and its parameters:
    a correlated EXISTS over the user's own role rows (an index lookup per user). Not `IN (all the
    students)`, which PostgreSQL answers by hashing every Student membership, even for one user."""
    through = Group.user_set.through
    quote = connection.ops.quote_name
    sql = (
        f"EXISTS (SELECT 1 FROM {quote(through._meta.db_table)} ug JOIN {quote(Group._meta.db_table)} g "
        f"ON g.id = ug.{quote(through._meta.get_field('group').column)} "
        f"WHERE ug.{quote(through._meta.get_field('user').column)} = {user_id} AND g.name = %s)"
    )
    return sql, [Role.LMS_STUDENT.value]


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
        "assessments.quiz": ALL,
        "assessments.question": ALL,
        "assessments.option": ALL,
        "assessments.assignment": ALL,
        "assessments.batchassessment": ALL,
        "assessments.quizsubmission": VIEW,
        "assessments.assignmentsubmission": ("view", "change"),  # change: grading, through the service
        "people.user": VIEW,
        "people.employee": VIEW,
        "core.enrollmentevent": VIEW,
    },
    Role.COURSE_CREATOR: {
        "catalog.course": ("view", "add", "change"),
        "catalog.batch": VIEW,
        "assessments.quiz": ("view", "add", "change"),
        "assessments.question": ALL,
        "assessments.option": ALL,
        "assessments.assignment": ("view", "add", "change"),
    },
    Role.BATCH_EVALUATOR: {
        "catalog.batch": VIEW,
        "catalog.course": VIEW,
        "catalog.liveclass": VIEW,
        "enrollment.batchenrollment": VIEW,
        "enrollment.courseenrollment": VIEW,
        "training.certificate": VIEW,
        "assessments.quiz": VIEW,
        "assessments.assignment": VIEW,
        "assessments.batchassessment": VIEW,
        "assessments.quizsubmission": VIEW,
        "assessments.assignmentsubmission": ("view", "change"),  # change: grading, through the service
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
        "assessments.quizsubmission": VIEW,  # evidence of an employee's training (compliance)
    },
}
