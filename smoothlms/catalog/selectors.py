"""Reads on cohorts and courses. Visibility rules live here, not in views."""

from __future__ import annotations

from django.db.models import Case, F, IntegerField, Prefetch, QuerySet, When
from django.db.models.functions import Lower

from smoothlms.catalog.errors import BatchNotFound, CourseNotFound
from smoothlms.catalog.models import Batch, BatchCourse, Course
from smoothlms.people.models import User
from smoothlms.people.roles import is_staff_role


def list_batches_visible_to(user: User | None) -> QuerySet[Batch]:
    """Cohorts `user` may see: staff see all, everyone else the published ones. Annotated with
    `seats_left_value` (None = unlimited); courses prefetched in order. Whether `user` is enrolled
    is enrollment's to say: enrollment.selectors.list_batches_for."""
    return (
        _visible_to(user)
        .annotate(
            seats_left_value=Case(
                When(seat_count__isnull=True, then=None),
                default=F("seat_count") - F("seats_taken"),
                output_field=IntegerField(),
            ),
        )
        .prefetch_related(
            Prefetch("batch_courses", queryset=BatchCourse.objects.select_related("course").order_by("position", "id"))
        )
    )


def _visible_to(user: User | None) -> QuerySet[Batch]:
    queryset = Batch.objects.all()
    if user is None or not user.is_authenticated or not is_staff_role(user):
        queryset = queryset.filter(published=True)
    return queryset


def get_batch(*, name: str, visible_to: User | None, with_courses: bool = True) -> Batch:
    """The cohort named `name` if `visible_to` may see it, else BatchNotFound (unpublished
    cohorts do not exist for students). `with_courses=False`: the row alone, neither its courses
    nor its seats left (a caller that acts on the cohort, such as enrolling, which reads what it
    needs itself)."""
    queryset = list_batches_visible_to(visible_to) if with_courses else _visible_to(visible_to)
    batch = queryset.filter(name=name).first()
    if batch is None:
        raise BatchNotFound(name=name)
    return batch


def get_course(*, name: str) -> Course:
    try:
        return Course.objects.get(name=name)
    except Course.DoesNotExist:
        raise CourseNotFound(name=name) from None


def visible_batches(actor: User | None) -> QuerySet[Batch]:
    """The cohorts `actor` may name: every one for the command line (actor None)."""
    # The command line acts as the system (actor None) and sees every cohort; people see what
    # their roles let them see.
    return Batch.objects.all() if actor is None else list_batches_visible_to(actor)


def find_batch(value: str, *, actor: User | None) -> Batch:
    """The cohort named `value`, or else titled `value` (any case). BatchNotFound otherwise, also
    when several cohorts share that title."""
    visible = visible_batches(actor)
    batch = visible.filter(name=value.strip()).first()
    if batch is None:
        titled = list(visible.annotate(lower_title=Lower("title")).filter(lower_title=value.strip().lower())[:2])
        if len(titled) != 1:
            raise BatchNotFound(name=value.strip())
        batch = titled[0]
    return batch
