"""Reads on training."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from smoothlms.core.models import EnrollmentEvent, EventType
from smoothlms.people.models import Employee, EmployeeStatus
from smoothlms.training.models import AssignmentStatus, TrainingAssignment


def list_active_employee_user_ids(*, department: str | None = None) -> list[int]:
    """The users of active employees (status Active with an enabled linked user: CONTRACT.md section
    7), optionally of one department (any case), in id order, without repeats."""
    employees = Employee.objects.filter(status=EmployeeStatus.ACTIVE, user__isnull=False, user__enabled=True)
    if department:
        employees = employees.filter(department__iexact=department.strip())
    return list(employees.order_by("user_id").values_list("user_id", flat=True).distinct())


def overdue_q(prefix: str = "", *, today=None) -> Q:
    """Open assignments past their due date (due dates are dates: `today` in the desk's zone)."""
    today = today or timezone.localdate()
    return Q(**{f"{prefix}status": AssignmentStatus.ASSIGNED, f"{prefix}due_date__lt": today})


def list_training_assignments(*, overdue: bool | None = None) -> QuerySet[TrainingAssignment]:
    """Assignments with their user and course; `overdue` True keeps open ones past their due date,
    False the others."""
    queryset = TrainingAssignment.objects.select_related("user", "course")
    if overdue is True:
        queryset = queryset.filter(overdue_q())
    elif overdue is False:
        queryset = queryset.exclude(overdue_q())
    return queryset


def count_overdue_assignments() -> int:
    return TrainingAssignment.objects.filter(overdue_q()).count()


def list_overdue_assignments(*, today=None) -> QuerySet[TrainingAssignment]:
    """Open assignments past their due date, most overdue first, with their user and course."""
    return (TrainingAssignment.objects.filter(overdue_q(today=today)).select_related("user", "course")
            .order_by("due_date", "id"))


def list_employee_assignment_counts(*, today=None) -> QuerySet[Employee]:
    """Employees with their user and how many training assignments that user has, by state:
    `open_count` (assigned, not yet due), `overdue_count` (assigned, past due), `completed_count`,
    `cancelled_count` and `assignment_count` (all). One query whatever the number of rows."""
    today = today or timezone.localdate()
    rel = "user__training_assignments"
    status = f"{rel}__status"
    return Employee.objects.select_related("user").annotate(
        assignment_count=Count(rel),
        open_count=Count(rel, filter=Q(**{status: AssignmentStatus.ASSIGNED, f"{rel}__due_date__gte": today})),
        overdue_count=Count(rel, filter=overdue_q(f"{rel}__", today=today)),
        completed_count=Count(rel, filter=Q(**{status: AssignmentStatus.COMPLETED})),
        cancelled_count=Count(rel, filter=Q(**{status: AssignmentStatus.CANCELLED})),
    )


# The desk's actions on an assignment leave audit events naming it (after["assignment"]).
ASSIGNMENT_EVENT_KINDS = (EventType.TRAINING_REMINDED, EventType.TRAINING_DUE_DATE_CHANGED)


def count_assignment_events(*, assignment: TrainingAssignment) -> int:
    """Audit events about one assignment: reminders sent and due dates moved (its history)."""
    return EnrollmentEvent.objects.filter(member_id=assignment.user_id, kind__in=ASSIGNMENT_EVENT_KINDS,
                                          after__assignment=assignment.pk).count()
