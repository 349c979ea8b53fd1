"""Reads on people: users, active employees, and the quarterly role audit."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from django.contrib.auth.models import Group
from django.db.models import F, OuterRef, Prefetch, Q, QuerySet, Subquery

from smoothlms.core.models import EnrollmentEvent, EventType
from smoothlms.core.timeutil import iso_seconds
from smoothlms.people.errors import UserNotFound
from smoothlms.people.models import Employee, EmployeeStatus, User, normalize_email
from smoothlms.people.roles import Role


def get_user(*, email: str) -> User:
    address = normalize_email(email)
    try:
        return User.objects.get(email=address)
    except User.DoesNotExist:
        raise UserNotFound(email=address or "(blank)") from None


def get_user_by_api_key(*, key: str) -> User | None:
    return User.objects.filter(api_key=key).first() if key else None


def list_active_employee_user_ids(*, department: str | None = None) -> list[int]:
    """The users of active employees (status Active with an enabled linked user: CONTRACT.md section
    7), optionally of one department (any case), in id order, without repeats."""
    employees = Employee.objects.filter(status=EmployeeStatus.ACTIVE, user__isnull=False, user__enabled=True)
    if department:
        employees = employees.filter(department__iexact=department.strip())
    return list(employees.order_by("user_id").values_list("user_id", flat=True).distinct())


# The quarterly role audit --------------------------------------------------------------------

AUDITED_ROLES = (Role.SYSTEM_MANAGER, Role.MODERATOR, Role.COURSE_CREATOR)


def role_audit_queryset() -> QuerySet[User]:
    """Users holding a role that can change what others see (System Manager, Moderator, Course
    Creator), or superusers, with their last sign-in, where it came from and when their roles last
    changed. Roles are prefetched: two queries in all."""
    logins = EnrollmentEvent.objects.filter(kind=EventType.LOGIN, member_id=OuterRef("pk")).order_by(
        "-created_at", "-id"
    )
    return (
        User.objects.filter(Q(groups__name__in=AUDITED_ROLES) | Q(is_superuser=True))
        .distinct()
        .annotate(
            last_login_from=Subquery(logins.values("remote_addr")[:1]),
            roles_changed_at=Subquery(
                EnrollmentEvent.objects.filter(kind=EventType.ROLES_CHANGED, member_id=OuterRef("pk"))
                .order_by("-created_at", "-id")
                .values("created_at")[:1]
            ),
        )
        .prefetch_related(Prefetch("groups", queryset=Group.objects.order_by("name")))
        .order_by(F("last_login").asc(nulls_first=True), "email")
    )


def role_audit_rows(queryset: Iterable[User] | None = None) -> Iterator[tuple]:
    """One row per audited user (of `role_audit_queryset` unless given): email, full name, enabled,
    roles ("; "-separated), last login, where from, when the roles changed, created_at."""
    for user in role_audit_queryset() if queryset is None else queryset:
        roles = [group.name for group in user.groups.all()]
        if user.is_superuser and Role.SYSTEM_MANAGER not in roles:
            roles.append("superuser")
        yield (
            user.email,
            user.full_name,
            user.enabled,
            "; ".join(roles),
            iso_seconds(user.last_login),
            user.last_login_from or "",
            iso_seconds(user.roles_changed_at),
            iso_seconds(user.created_at),
        )
