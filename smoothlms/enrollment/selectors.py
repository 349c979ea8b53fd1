"""Reads on enrollments: rosters, a member's cohorts and courses, whether a user holds a seat."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, NullIf

from smoothlms.catalog.errors import BatchNotFound
from smoothlms.catalog.models import Batch, LiveClass
from smoothlms.catalog.selectors import list_batches_visible_to
from smoothlms.core.db import filter_days, filter_within, iterate_values
from smoothlms.core.models import EnrollmentEvent, EventType
from smoothlms.core.timeutil import iso_seconds
from smoothlms.enrollment.models import BatchEnrollment, CourseEnrollment, EnrollmentStatus
from smoothlms.people.models import User
from smoothlms.people.roles import is_staff_role


def _is_enrolled(user: User | None) -> Exists | Value:
    """Per cohort row: whether `user` holds an active seat in it."""
    if user is None or not user.is_authenticated:
        return Value(False, output_field=BooleanField())
    return Exists(BatchEnrollment.objects.filter(batch=OuterRef("pk"), member=user, status=EnrollmentStatus.ACTIVE))


def _count(queryset: QuerySet) -> Subquery:
    return Coalesce(
        Subquery(
            queryset.order_by().values("batch_id").annotate(n=Count("pk")).values("n")[:1], output_field=IntegerField()
        ),
        0,
    )


def _waitlisted() -> QuerySet[BatchEnrollment]:
    return BatchEnrollment.objects.filter(status=EnrollmentStatus.WAITLISTED)


def _at_or_ahead_of(ref: str = "") -> Q:
    """Waitlisted rows placed at or before the outer row (`waitlisted_at`, then pk)."""
    return Q(waitlisted_at__lt=OuterRef(f"{ref}waitlisted_at")) | Q(
        waitlisted_at=OuterRef(f"{ref}waitlisted_at"), pk__lte=OuterRef(f"{ref}pk")
    )


def waitlist_position() -> Case:
    """Per enrollment row: its 1-based place on its cohort's waitlist (None unless waitlisted), counted
    from the rows ahead, so positions have no gaps whoever leaves."""
    ahead = _waitlisted().filter(_at_or_ahead_of(), batch_id=OuterRef("batch_id"))
    return Case(When(status=EnrollmentStatus.WAITLISTED, then=_count(ahead)), default=None, output_field=IntegerField())


def _my_waitlist_position(user: User | None) -> NullIf | Value:
    """Per cohort row: `user`'s place on its waitlist, None unless waitlisted."""
    if user is None or not user.is_authenticated:
        return Value(None, output_field=IntegerField())
    mine = (
        _waitlisted()
        .filter(batch_id=OuterRef("batch_id"), member=user)
        .filter(
            Q(waitlisted_at__gt=OuterRef("waitlisted_at"))
            | Q(waitlisted_at=OuterRef("waitlisted_at"), pk__gte=OuterRef("pk"))
        )
    )
    return NullIf(_count(_waitlisted().filter(Exists(mine), batch_id=OuterRef("pk"))), 0)


def list_batches_for(*, user: User | None) -> QuerySet[Batch]:
    """The cohorts `user` may see (catalog's list_batches_visible_to: `seats_left_value`, courses
    prefetched in order), each annotated with `is_enrolled`, `waitlist_count` and the user's
    `waitlist_position`."""
    return list_batches_visible_to(user).annotate(
        is_enrolled=_is_enrolled(user),
        waitlist_count=_count(_waitlisted().filter(batch_id=OuterRef("pk"))),
        waitlist_position=_my_waitlist_position(user),
    )


def get_waitlist_position(*, enrollment: BatchEnrollment) -> int | None:
    """The row's 1-based place on its cohort's waitlist, None unless waitlisted."""
    return (
        BatchEnrollment.objects.filter(pk=enrollment.pk)
        .annotate(position=waitlist_position())
        .values_list("position", flat=True)
        .first()
    )


def list_waitlist(*, batch: Batch) -> QuerySet[BatchEnrollment]:
    """A cohort's waitlist in order (first to be seated first), each with `waitlist_position`."""
    return (
        _waitlisted()
        .filter(batch=batch)
        .select_related("member")
        .annotate(waitlist_position=waitlist_position())
        .order_by("waitlisted_at", "pk")
    )


def get_batch_for(*, name: str, user: User | None) -> Batch:
    """The cohort named `name` as list_batches_for gives it, or BatchNotFound (unpublished cohorts
    do not exist for students)."""
    batch = list_batches_for(user=user).filter(name=name).first()
    if batch is None:
        raise BatchNotFound(name=name)
    return batch


def list_roster(*, batch: Batch, status: str | None = EnrollmentStatus.ACTIVE) -> QuerySet[BatchEnrollment]:
    """A cohort's enrollments (default: active; None or "all": every status), oldest first."""
    queryset = (
        BatchEnrollment.objects.filter(batch=batch)
        .select_related("member", "batch")
        .annotate(waitlist_position=waitlist_position())
    )
    if status and status != "all":
        queryset = queryset.filter(status=status)
    return queryset.order_by("created_at", "id")


def list_member_enrollments(*, member: User, status: str | None = EnrollmentStatus.ACTIVE) -> QuerySet[BatchEnrollment]:
    queryset = (
        BatchEnrollment.objects.filter(member=member)
        .select_related("batch", "member")
        .annotate(waitlist_position=waitlist_position())
    )
    if status and status != "all":
        queryset = queryset.filter(status=status)
    return queryset.order_by("batch__start_date", "batch__start_time", "id")


def list_member_courses(*, member: User) -> QuerySet[CourseEnrollment]:
    return (
        CourseEnrollment.objects.filter(member=member)
        .select_related("course", "enrollment_from_batch")
        .order_by("course__title", "id")
    )


def count_active(*, batch: Batch) -> int:
    return BatchEnrollment.objects.filter(batch=batch, status=EnrollmentStatus.ACTIVE).count()


# Desk: rosters and the /desk/learning dashboard ------------------------------------------------
# Each of these is one query whatever the number of cohorts or enrollments (aggregated in SQL).


def count_roster(*, batch: Batch) -> dict[str, int]:
    """{status: enrollments} of one cohort, every status present (0 when none)."""
    counts = dict.fromkeys(EnrollmentStatus.values, 0)
    for status, number in (
        BatchEnrollment.objects.filter(batch=batch).order_by().values_list("status").annotate(n=Count("id"))
    ):
        counts[status] = number
    return counts


def list_dashboard_batches(*, today, include_ended: bool = False) -> QuerySet[Batch]:
    """Cohorts for the dashboard, soonest start first, with `seats_left_value` (None = unlimited)
    and `waitlist_count`.
    Without `include_ended`, cohorts whose end date is more than a day before `today` are left out
    (a day of slack for time zones; callers tell ended ones apart with Batch.has_ended)."""
    queryset = Batch.objects.all()
    if not include_ended:
        queryset = queryset.filter(end_date__gte=today - dt.timedelta(days=1))
    return (
        queryset.annotate(
            seats_left_value=Case(
                When(seat_count__isnull=True, then=None),
                default=F("seat_count") - F("seats_taken"),
                output_field=IntegerField(),
            ),
            waitlist_count=_count(_waitlisted().filter(batch_id=OuterRef("pk"))),
        )
        .only(
            "pk",
            "name",
            "title",
            "start_date",
            "start_time",
            "end_date",
            "end_time",
            "timezone",
            "seat_count",
            "seats_taken",
            "allow_self_enrollment",
            "published",
            "waitlist_enabled",
        )
        .order_by("start_date", "start_time", "name")
    )


def count_enrollments_per_day(*, days: int, zone, now) -> list[tuple]:
    """[(day, enrollments)] for the `days` days up to `now`'s day in `zone`, oldest first. Counts
    enrollments and re-activations from the audit trail. One query: a filtered COUNT per day over
    instants computed here, which works the same on every database (no time-zone tables needed)."""
    first = now.astimezone(zone).date() - dt.timedelta(days=days - 1)
    bounds = [dt.datetime.combine(first + dt.timedelta(days=i), dt.time(0), tzinfo=zone) for i in range(days + 1)]
    counts = EnrollmentEvent.objects.filter(
        kind__in=[EventType.ENROLLED, EventType.REACTIVATED],
        created_at__gte=bounds[0],
        created_at__lt=bounds[-1],
    ).aggregate(
        **{f"d{i}": Count("id", filter=Q(created_at__gte=bounds[i], created_at__lt=bounds[i + 1])) for i in range(days)}
    )
    return [(first + dt.timedelta(days=i), counts[f"d{i}"] or 0) for i in range(days)]


def count_batch_totals() -> dict[str, int]:
    """{"cohorts", "published_cohorts", "self_enrollment_open", "active_enrollments"} over every cohort."""
    totals = Batch.objects.aggregate(
        cohorts=Count("id"),
        published_cohorts=Count("id", filter=Q(published=True)),
        self_enrollment_open=Count("id", filter=Q(published=True, allow_self_enrollment=True)),
        active_enrollments=Sum("seats_taken"),
    )
    return {key: value or 0 for key, value in totals.items()}


def list_member_live_classes(*, member: User) -> QuerySet:
    """Live classes of the cohorts `member` is actively enrolled in (staff see those of unpublished
    cohorts too), with their cohort, in local date order. One query; callers needing the order of
    instants across zones sort by `starts_at`."""
    queryset = LiveClass.objects.filter(
        batch__enrollments__member=member, batch__enrollments__status=EnrollmentStatus.ACTIVE
    )
    if not is_staff_role(member):
        queryset = queryset.filter(batch__published=True)
    # One enrollment per (batch, member): the join cannot repeat a class.
    return queryset.select_related("batch").order_by("date", "time", "id")


# Exports (csvio.exports streams them as CSV) ----------------------------------------------------
# In id order, a chunk at a time (core.db.iterate_values): constant memory however many rows.

BATCH_ENROLLMENT_EXPORT_FIELDS = (
    "pk",
    "batch__name",
    "batch__title",
    "member__email",
    "member__full_name",
    "member_type",
    "status",
    "source",
    "confirmation_email_status",
    "confirmation_email_sent",
    "override_reason",
    "created_at",
    "cancelled_at",
)


def list_batch_enrollment_export_rows(
    *,
    batch: Batch | None = None,
    member: str = "",
    since: dt.date | None = None,
    until: dt.date | None = None,
    within: QuerySet | None = None,
) -> Iterator[tuple]:
    """Every enrollment (any status: history counts), narrowed to a cohort, a member (email), the
    days it was made on and `within` (a desk list's rows): name (BE-000001), then
    BATCH_ENROLLMENT_EXPORT_FIELDS' values."""
    queryset = filter_within(BatchEnrollment.objects.all(), within)
    if batch is not None:
        queryset = queryset.filter(batch=batch)
    if member:
        queryset = queryset.filter(member__email=member)
    queryset = filter_days(queryset, "created_at", since=since, until=until, is_date=False)
    for pk, *rest in iterate_values(queryset, BATCH_ENROLLMENT_EXPORT_FIELDS):
        yield (f"BE-{pk:06d}", *(iso_seconds(value) for value in rest))


def list_course_enrollment_export_rows(
    *,
    batch: Batch | None = None,
    member: str = "",
    since: dt.date | None = None,
    until: dt.date | None = None,
    within: QuerySet | None = None,
) -> Iterator[tuple]:
    """Every course enrollment, narrowed to those a cohort gave, a member (email), the days it was
    made on and `within` (a desk list's rows): member, member name, course, course title, batch,
    progress, created_at, updated_at."""
    queryset = filter_within(CourseEnrollment.objects.all(), within)
    if batch is not None:
        queryset = queryset.filter(enrollment_from_batch=batch)
    if member:
        queryset = queryset.filter(member__email=member)
    queryset = filter_days(queryset, "created_at", since=since, until=until, is_date=False)
    fields = (
        "member__email",
        "member__full_name",
        "course__name",
        "course__title",
        "enrollment_from_batch__name",
        "progress",
        "created_at",
        "updated_at",
    )
    for row in iterate_values(queryset, fields):
        yield tuple(iso_seconds(value) for value in row)


# Desk: the cohort page and the course page ------------------------------------------------------


def list_roster_active_first(*, batch: Batch) -> QuerySet[BatchEnrollment]:
    """Every enrollment of a cohort (any status), active ones first, then oldest first: the roster
    on the cohort's desk page (callers slice it)."""
    return list_roster(batch=batch, status="all").order_by(
        Case(When(status=EnrollmentStatus.ACTIVE, then=0), default=1, output_field=IntegerField()), "created_at", "id"
    )


def count_course_enrollments(*, course) -> int:
    """Course enrollments of `course`, any origin (history counts: a course with any is evidence)."""
    return CourseEnrollment.objects.filter(course=course).count()
