"""Writes on the catalog: courses and cohorts."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.text import slugify

from smoothlms.catalog.errors import InvalidBatch, NameTaken
from smoothlms.catalog.models import Batch, BatchCourse, Course, LiveClass


def unique_name(model: type[Batch] | type[Course], title: str, *, max_length: int = 140) -> str:
    """A slug of `title` not yet used: `python-bootcamp`, then `python-bootcamp-2`, ..."""
    base = slugify(title)[: max_length - 8].strip("-") or model._meta.model_name
    taken = set(model.objects.filter(name__startswith=base).values_list("name", flat=True))
    if base not in taken:
        return base
    number = 2
    while f"{base}-{number}" in taken:
        number += 1
    return f"{base}-{number}"


def _validated(obj, *, exclude: list[str] | None = None) -> None:
    try:
        obj.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        fields = exc.message_dict
        detail = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in fields.items())
        raise InvalidBatch(detail=detail, fields=sorted(fields)) from None


def _save_unique(obj) -> None:
    try:
        with transaction.atomic():  # savepoint: the caller's transaction stays usable
            if obj.pk and isinstance(obj, Batch):
                # seats_taken changes only through F() updates of the enrollment services.
                obj.save(
                    update_fields=[
                        f.attname
                        for f in Batch._meta.concrete_fields
                        if not f.primary_key and f.attname != "seats_taken"
                    ]
                )
            else:
                obj.save()
    except IntegrityError as exc:
        if type(obj).objects.filter(name=obj.name).exclude(pk=obj.pk).exists():
            raise NameTaken(name=obj.name) from None
        raise InvalidBatch(detail=f"The database refused the record: {exc}", fields=[]) from None


@transaction.atomic
def create_course(*, title: str, name: str = "", actor, **fields: Any) -> Course:
    """Create a course; `name` defaults to a unique slug of the title."""
    course = Course(title=title, name=name or unique_name(Course, title), **fields)
    _validated(course)
    _save_unique(course)
    return course


@transaction.atomic
def update_course(*, course: Course, actor, **changes: Any) -> Course:
    for field, value in changes.items():
        setattr(course, field, value)
    _validated(course)
    _save_unique(course)
    return course


@transaction.atomic
def create_batch(*, title: str, name: str = "", courses: list[Course] | None = None, actor, **fields: Any) -> Batch:
    """Create a cohort. Rules: the model's validation (end not before start, a real IANA time zone,
    paid cohorts need amount and currency); `name` defaults to a unique slug of the title."""
    batch = Batch(title=title, name=name or unique_name(Batch, title), **fields)
    _validated(batch)
    _save_unique(batch)
    if courses:
        set_batch_courses(batch=batch, courses=courses)
    return batch


def set_batch_courses(*, batch: Batch, courses: list[Course]) -> None:
    """Replace a cohort's ordered course list (existing course enrollments are kept)."""
    BatchCourse.objects.filter(batch=batch).exclude(course__in=courses).delete()
    existing = {bc.course_id: bc for bc in BatchCourse.objects.filter(batch=batch)}
    for position, course in enumerate(dict.fromkeys(courses)):
        link = existing.get(course.pk)
        if link is None:
            BatchCourse.objects.create(batch=batch, course=course, position=position)
        elif link.position != position:
            BatchCourse.objects.filter(pk=link.pk).update(position=position)


@transaction.atomic
def apply_batch_changes(*, batch: Batch, courses: list[Course] | None = None, **changes: Any) -> Batch:
    """Set `changes` on `batch` and save it, then its ordered course list. Rules: the model's
    validation; a free name. The service that changes a cohort is enrollment's update_batch, which
    calls this under the cohort's row lock after the seat-count rule (catalog knows nothing of
    enrollments). `seats_taken` is never written here: only the enrollment engine's F() updates
    change it."""
    if "seats_taken" in changes:
        raise InvalidBatch(detail="seats_taken: changes only by enrolling and cancelling.", fields=["seats_taken"])
    for field, value in changes.items():
        setattr(batch, field, value)
    _validated(batch)
    _save_unique(batch)
    if courses is not None:
        set_batch_courses(batch=batch, courses=courses)
    return batch


# Fields a copy of a cohort takes from the original (CONTRACT.md section 14, "duplicate").
COPIED_BATCH_FIELDS = (
    "description",
    "start_time",
    "end_time",
    "timezone",
    "seat_count",
    "allow_self_enrollment",
    "paid_batch",
    "amount",
    "currency",
    "confirmation_email_template_id",
    "late_join_policy",
    "waitlist_enabled",
    "allow_self_cancel",
)


@transaction.atomic
def copy_batch(*, batch: Batch, title: str, start_date: dt.date, end_date: dt.date | None = None, actor) -> Batch:
    """A new unpublished cohort like `batch` (the guide's "create a second batch"): its settings, its
    courses in order, and its live classes moved by as many days as the start moves. `end_date`
    defaults to keep the original's length. Rules: those of create_batch."""
    shift = start_date - batch.start_date
    fields = {field: getattr(batch, field) for field in COPIED_BATCH_FIELDS}
    copy = create_batch(
        title=title,
        start_date=start_date,
        end_date=end_date or batch.end_date + shift,
        published=False,
        actor=actor,
        courses=[link.course for link in batch.batch_courses.select_related("course").order_by("position", "id")],
        **fields,
    )
    LiveClass.objects.bulk_create(
        [
            LiveClass(
                batch=copy,
                title=live.title,
                description=live.description,
                date=live.date + shift,
                time=live.time,
                duration=live.duration,
                timezone=live.timezone,
                join_url=live.join_url,
            )
            for live in batch.live_classes.order_by("date", "time", "id")
        ]
    )
    return copy


# Live classes ---------------------------------------------------------------------------------

# A change to any of these moves the class in learners' calendars: the feed's SEQUENCE goes up.
LIVE_CLASS_SCHEDULE_FIELDS = ("date", "time", "duration", "timezone")


@transaction.atomic
def schedule_live_class(
    *,
    batch: Batch,
    title: str,
    date: Any,
    time: Any,
    actor,
    duration: int = 60,
    timezone: str = "",
    description: str = "",
    join_url: str = "",
) -> LiveClass:
    """Add a live class to a cohort. Rules: the model's validation (a real IANA time zone, which
    defaults to the cohort's; a positive duration in minutes; a valid join URL).
    Side effects: none (the class shows in members' timetables and calendar feeds)."""
    live_class = LiveClass(
        batch=batch,
        title=title,
        date=date,
        time=time,
        duration=duration,
        timezone=timezone or batch.timezone,
        description=description,
        join_url=join_url,
    )
    _validated(live_class)
    live_class.save()
    return live_class


@transaction.atomic
def update_live_class(*, live_class: LiveClass, actor, **changes: Any) -> LiveClass:
    """Change a live class. Rules: the model's validation. Side effects: when the date, time,
    duration or time zone changes, `sequence` goes up by one, so calendar apps replace the event
    they hold instead of keeping the old time (RFC 5545 SEQUENCE)."""
    before = {field: getattr(live_class, field) for field in LIVE_CLASS_SCHEDULE_FIELDS}
    for field, value in changes.items():
        if field in ("pk", "id", "batch_id", "sequence"):
            raise InvalidBatch(detail=f"{field}: cannot be changed.", fields=[field])
        setattr(live_class, field, value)
    _validated(live_class)  # converts strings to dates and times, so the comparison below is exact
    moved = any(getattr(live_class, field) != before[field] for field in LIVE_CLASS_SCHEDULE_FIELDS)
    live_class.save(
        update_fields=[
            f.attname
            for f in LiveClass._meta.concrete_fields
            if not f.primary_key and f.attname not in ("sequence", "created_at")
        ]
    )
    if moved:
        # F(): two concurrent moves each count, whatever the instance in memory says.
        LiveClass.objects.filter(pk=live_class.pk).update(sequence=F("sequence") + 1)
        live_class.refresh_from_db(fields=["sequence"])
    return live_class
