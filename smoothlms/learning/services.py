"""Writes on course content and progress (CONTRACT.md section 11).

Authoring: chapters and lessons keep 1-based, contiguous positions within their parent, rewritten
under a row lock on the course. Progress: every write on a member's progress in a course first
locks that member's active course enrollment (no lock: 403 not_enrolled_in_course), then the course
progress (completed lessons / lessons, rounded down) is recomputed in the same transaction with a
fixed number of queries whatever the number of lessons. Reaching 100% happens in one place,
`_on_course_completed`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, DecimalField, ExpressionWrapper, F, IntegerField, Max, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce, Floor
from django.utils import timezone

from smoothlms.catalog.models import Batch, Chapter, Course, Lesson, LessonKind
from smoothlms.core.audit import record_event
from smoothlms.core.models import EventType
from smoothlms.enrollment.models import CourseEnrollment
from smoothlms.learning import progress_sql, scorm
from smoothlms.learning.errors import (
    CannotMove,
    ChapterNotEmpty,
    ChapterNotFound,
    CompletesByItself,
    InvalidContent,
    LessonHasProgress,
    NotAFileLesson,
    NotAScormLesson,
    NotEnrolledInCourse,
)
from smoothlms.learning.locks import lock_course_content, lock_course_enrollment
from smoothlms.learning.models import LessonProgress, LessonStatus
from smoothlms.learning.progress_sql import LockedEnrollment, Standing
from smoothlms.learning.selectors import get_lesson_for_step, get_lesson_progress
from smoothlms.people.models import User
from smoothlms.training.services import record_course_completion

# Far above any real position: a row parked there while positions are rewritten cannot collide.
PARKED = 1_000_000
SELF_COMPLETED = (LessonKind.TEXT, LessonKind.VIDEO, LessonKind.FILE)
LESSON_FIELDS = ("title", "kind", "body", "url")


def _validated(obj: Chapter | Lesson, *, exclude: list[str]) -> None:
    try:
        obj.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        fields = exc.message_dict
        detail = "; ".join(f"{name}: {' '.join(messages)}" for name, messages in fields.items())
        raise InvalidContent(detail=detail, fields=sorted(fields)) from None


# Chapters -------------------------------------------------------------------------------------


@transaction.atomic(durable=True)
def create_chapter(*, course: Course, title: str, actor: User | None) -> Chapter:
    """Add a chapter at the end of the course. Rules: a title (at most 200 characters)."""
    lock_course_content(course)
    last = Chapter.objects.filter(course=course).aggregate(last=Max("position"))["last"] or 0
    chapter = Chapter(course=course, title=(title or "").strip(), position=last + 1)
    _validated(chapter, exclude=["course"])
    chapter.save()
    return chapter


@transaction.atomic(durable=True)
def rename_chapter(*, chapter: Chapter, title: str, actor: User | None) -> Chapter:
    chapter.title = (title or "").strip()
    _validated(chapter, exclude=["course"])
    chapter.save(update_fields=["title", "updated_at"])
    return chapter


@transaction.atomic(durable=True)
def delete_chapter(*, chapter: Chapter, actor: User | None) -> None:
    """Remove an empty chapter; the later chapters move up. Rules: it has no lessons."""
    lock_course_content(chapter.course)
    if Lesson.objects.filter(chapter=chapter).exists():
        raise ChapterNotEmpty(title=chapter.title)
    position = chapter.position
    chapter.delete()
    _close_gap(Chapter.objects.filter(course_id=chapter.course_id), position)


@transaction.atomic(durable=True)
def move_chapter(*, chapter: Chapter, up: bool, actor: User | None) -> Chapter:
    """Swap the chapter with the one before (`up`) or after it. Rules: there is one."""
    lock_course_content(chapter.course)
    chapter.refresh_from_db(fields=["position"])
    siblings = Chapter.objects.filter(course_id=chapter.course_id)
    _swap(siblings, chapter, up=up, title=chapter.title)
    chapter.refresh_from_db(fields=["position"])
    return chapter


def _close_gap(siblings, position: int) -> None:
    """Positions after `position` move down by one. Parked first, so that no statement ever
    makes two rows share a position (unique constraints are checked row by row)."""
    siblings.filter(position__gt=position).update(position=F("position") + PARKED)
    siblings.filter(position__gt=PARKED).update(position=F("position") - PARKED - 1)


def _swap(siblings, item: Chapter | Lesson, *, up: bool, title: str) -> None:
    other_position = item.position - 1 if up else item.position + 1
    other = siblings.filter(position=other_position).first()
    if other is None:
        raise CannotMove(title=title, where="first" if up else "last")
    siblings.filter(pk=item.pk).update(position=PARKED)
    siblings.filter(pk=other.pk).update(position=item.position)
    siblings.filter(pk=item.pk).update(position=other_position)


# Lessons --------------------------------------------------------------------------------------


@transaction.atomic(durable=True)
def create_lesson(
    *, course: Course, chapter: Chapter, title: str, kind: str, actor: User | None, body: str = "", url: str = ""
) -> Lesson:
    """Add a lesson at the end of `chapter`. Rules: the chapter belongs to the course; a title and
    a known kind; a video lesson has a URL. Side effects: every enrollment's progress in the course
    is recomputed (one lesson more to complete)."""
    return create_lesson_in_transaction(
        course=course, chapter=chapter, title=title, kind=kind, actor=actor, body=body, url=url
    )


def create_lesson_in_transaction(
    *, course: Course, chapter: Chapter, title: str, kind: str, actor: User | None, body: str = "", url: str = ""
) -> Lesson:
    """create_lesson inside the caller's transaction (not durable): a quiz lesson is created and
    linked to its quiz in one transaction (assessments.services.create_quiz_lesson)."""
    _require_transaction()
    if chapter.course_id != course.pk:
        raise ChapterNotFound(chapter=chapter.pk, course=course.name)
    lock_course_content(course)
    last = Lesson.objects.filter(chapter=chapter).aggregate(last=Max("position"))["last"] or 0
    lesson = Lesson(
        chapter=chapter,
        title=(title or "").strip(),
        kind=kind,
        body=body or "",
        url=(url or "").strip(),
        position=last + 1,
    )
    _check_lesson(lesson)
    lesson.save()
    recompute_course_progress(course=course)
    return lesson


def _check_lesson(lesson: Lesson) -> None:
    _validated(lesson, exclude=["chapter", "file"])
    if lesson.kind == LessonKind.VIDEO and not lesson.url:
        raise InvalidContent(detail="url: a video lesson needs the video's URL.", fields=["url"])


@transaction.atomic(durable=True)
def update_lesson(*, lesson: Lesson, actor: User | None, **changes: Any) -> Lesson:
    """Change a lesson's title, kind, body (Markdown) or URL. Rules: as for creating it."""
    unknown = sorted(set(changes) - set(LESSON_FIELDS))
    if unknown:
        raise InvalidContent(detail=f"{', '.join(unknown)}: cannot be changed here.", fields=unknown)
    for name, value in changes.items():
        setattr(lesson, name, (value or "").strip() if name in ("title", "url") else value or "")
    _check_lesson(lesson)
    lesson.save(update_fields=[*changes, "updated_at"])
    return lesson


@transaction.atomic(durable=True)
def delete_lesson(*, lesson: Lesson, actor: User | None) -> None:
    """Remove a lesson nobody has started; the later lessons of its chapter move up, and every
    enrollment's progress in the course is recomputed. Its SCORM files go with it."""
    course = lesson.chapter.course
    lock_course_content(course)
    if LessonProgress.objects.filter(lesson=lesson).exists():
        raise LessonHasProgress(title=lesson.title)
    position, lesson_id = lesson.position, lesson.pk
    lesson.delete()
    _close_gap(Lesson.objects.filter(chapter_id=lesson.chapter_id), position)
    recompute_course_progress(course=course)
    transaction.on_commit(
        lambda: scorm.remove_package(destination=scorm.package_dir(course_name=course.name, lesson_id=lesson_id))
    )


@transaction.atomic(durable=True)
def move_lesson(*, lesson: Lesson, up: bool, actor: User | None) -> Lesson:
    """Swap the lesson with the one before (`up`) or after it in its chapter."""
    lock_course_content(lesson.chapter.course)
    lesson.refresh_from_db(fields=["position"])
    _swap(Lesson.objects.filter(chapter_id=lesson.chapter_id), lesson, up=up, title=lesson.title)
    lesson.refresh_from_db(fields=["position"])
    return lesson


@transaction.atomic(durable=True)
def attach_lesson_file(*, lesson: Lesson, upload: Any, actor: User | None) -> Lesson:
    """Store the document of a file lesson (replacing the previous one). Rules: a file lesson."""
    if lesson.kind != LessonKind.FILE:
        raise NotAFileLesson(lesson=lesson.pk, kind=lesson.kind)
    previous = lesson.file.name if lesson.file else ""
    lesson.file.save(upload.name.rsplit("/", 1)[-1], upload, save=False)
    lesson.save(update_fields=["file", "updated_at"])
    if previous and previous != lesson.file.name:
        storage = lesson.file.storage
        transaction.on_commit(lambda: storage.delete(previous))
    return lesson


def attach_scorm_package(*, lesson: Lesson, upload: Any, actor: User | None) -> Lesson:
    """Check a SCORM 1.2 or 2004 zip and extract it as the lesson's content (replacing the previous
    package). Rules: a SCORM lesson; the package checks of learning.scorm (each refusal is
    scorm_package_invalid with its reason). The files are in place before the lesson row points at
    the new launch file; a refused package changes nothing."""
    if lesson.kind != LessonKind.SCORM:
        raise NotAScormLesson(lesson=lesson.pk, kind=lesson.kind)
    course = lesson.chapter.course
    package = scorm.install_package(upload, destination=scorm.package_dir(course_name=course.name, lesson_id=lesson.pk))
    with transaction.atomic(durable=True):
        lesson.scorm_version = package.version
        lesson.scorm_launch = package.launch
        lesson.scorm_package_name = (getattr(upload, "name", "") or "package.zip").rsplit("/", 1)[-1][:255]
        lesson.scorm_uploaded_at = timezone.now()
        lesson.save(
            update_fields=["scorm_version", "scorm_launch", "scorm_package_name", "scorm_uploaded_at", "updated_at"]
        )
    return lesson


def recompute_course_progress(*, course: Course) -> int:
    """Every enrollment's progress in `course` from its completed lessons, after the lessons
    changed: one UPDATE whatever the number of members. Call inside the transaction that changed
    the lessons. `completed_at` stays: a completion is a fact of the past."""
    total = Lesson.objects.filter(chapter__course=course).count()
    enrollments = CourseEnrollment.objects.filter(course=course)
    if not total:
        return enrollments.exclude(progress=0).update(progress=0)
    done = Subquery(
        LessonProgress.objects.filter(
            member_id=OuterRef("member_id"), course_id=OuterRef("course_id"), status=LessonStatus.COMPLETED
        )
        .order_by()
        .values("course_id")
        .annotate(n=Count("id"))
        .values("n")[:1],
        output_field=IntegerField(),
    )
    share = ExpressionWrapper(Coalesce(done, 0) * 100 / Value(total), output_field=DecimalField())
    return enrollments.update(progress=Floor(share))


def _percent(done: int, total: int) -> int:
    """Completed lessons / lessons, rounded down (so 100 only when every lesson is completed)."""
    return done * 100 // total if total else 0


# Progress -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CourseProgress:
    """What a learner's step changed: the lesson's progress row and the course's progress."""

    lesson_progress: LessonProgress
    progress: int
    completed_at: dt.datetime | None

    @property
    def completed(self) -> bool:
        return self.completed_at is not None


def _require_transaction() -> None:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("This write runs inside the caller's transaction: open one first.")


def _locked_enrollment(
    member: User, lesson: Lesson | int, check: Callable[[Lesson], Any] = lambda lesson: None
) -> tuple[Lesson, LockedEnrollment]:
    """Lock the member's enrollment in the lesson's course. `lesson` is a Lesson or its id (the
    API's path: then the locking statement reads it). `check(lesson)` is the step's own refusals,
    which come before not_enrolled_in_course (an unknown id: LessonNotFound first)."""
    if isinstance(lesson, Lesson):
        check(lesson)
    enrollment = lock_course_enrollment(member=member, lesson_id=lesson if isinstance(lesson, int) else lesson.pk)
    if enrollment is None:
        if isinstance(lesson, int):
            check(get_lesson_for_step(lesson_id=lesson))
        raise NotEnrolledInCourse()
    if isinstance(lesson, int):
        lesson = enrollment.lesson
        check(lesson)
    return lesson, enrollment


def _standing(member: User, lesson: Lesson) -> Standing:
    """The member's row for `lesson` and completed lessons, read once the enrollment is locked."""
    return progress_sql.read_standing(member_id=member.pk, lesson_id=lesson.pk, course_id=lesson.chapter.course_id)


def _row(member: User, lesson: Lesson, row_id: int | None, status: str) -> LessonProgress:
    """The member's progress row for `lesson` as the step knows it (id and status), unread."""
    return LessonProgress(id=row_id, member=member, lesson=lesson, course_id=lesson.chapter.course_id, status=status)


@transaction.atomic(durable=True)
def start_lesson(*, member: User, lesson: Lesson, actor: User | None) -> LessonProgress:
    """Record that `member` opened `lesson` (in_progress), once. Rules: an active course enrollment."""
    existing = get_lesson_progress(member=member, lesson=lesson)
    _locked_enrollment(member, lesson)  # checked even when the row exists: access may be gone
    if existing is not None:
        return existing
    return LessonProgress.objects.create(
        member=member, lesson=lesson, course_id=lesson.chapter.course_id, status=LessonStatus.IN_PROGRESS
    )


@transaction.atomic(durable=True)
def complete_lesson(*, member: User, lesson: Lesson, actor: User | None) -> CourseProgress:
    """Complete `lesson` for `member`, whatever its kind. Rules: an active course enrollment. Side
    effects: the course progress; at 100%, `_on_course_completed`. Completing a completed lesson
    changes nothing."""
    return complete_lesson_in_transaction(member=member, lesson=lesson, actor=actor)


def complete_lesson_in_transaction(*, member: User, lesson: Lesson, actor: User | None) -> CourseProgress:
    """complete_lesson inside the caller's transaction (not durable): a passing quiz submission
    completes its lesson in the submission's transaction (assessments.services). Same rules and
    side effects; a refusal rolls back the caller's transaction with it."""
    _require_transaction()
    lesson, enrollment = _locked_enrollment(member, lesson)
    return _complete(member, lesson, enrollment, _standing(member, lesson), actor=actor)


def _self_completed(lesson: Lesson) -> None:
    if lesson.kind not in SELF_COMPLETED:
        raise CompletesByItself.for_kind(lesson.kind)


@transaction.atomic(durable=True)
def mark_lesson_complete(*, member: User, lesson: Lesson | int, actor: User | None) -> CourseProgress:
    """The learner's "Mark as complete" of `lesson` (or the lesson of that id). Rules: the lesson
    exists; a text, video or file lesson (SCORM lessons complete when the package says so, quizzes
    on a passing submission); an active course enrollment."""
    lesson, enrollment = _locked_enrollment(member, lesson, _self_completed)
    return _complete(member, lesson, enrollment, _standing(member, lesson), actor=actor)


@transaction.atomic(durable=True)
def commit_scorm_data(*, member: User, lesson: Lesson | int, cmi: Any, actor: User | None) -> CourseProgress:
    """Save a SCORM lesson's runtime data (what the package committed), restored on the next launch.
    `lesson`: the lesson or its id. Rules: the lesson exists; a SCORM lesson; CMI element names and
    text values; an active course enrollment. The lesson completes when the data reports it (SCORM
    1.2 lesson_status completed or passed; 2004 completion_status completed or success_status
    passed); a completed lesson stays completed. A commit that completes nothing is one UPDATE of
    the member's row after the lock."""
    cleaned: list[dict[str, str]] = []

    def check(found: Lesson) -> None:
        if found.kind != LessonKind.SCORM:
            raise NotAScormLesson(lesson=found.pk, kind=found.kind)
        cleaned.append(scorm.clean_runtime_data(cmi))

    lesson, enrollment = _locked_enrollment(member, lesson, check)
    values = cleaned[0]
    fields = {"scorm_data": values, "score": scorm.score_of(lesson.scorm_version, values)}
    completes = scorm.reports_completion(lesson.scorm_version, values)
    if not completes and progress_sql.update_scorm_data(member_id=member.pk, lesson_id=lesson.pk, **fields):
        return _unchanged(_row(member, lesson, None, LessonStatus.IN_PROGRESS), enrollment)
    standing = _standing(member, lesson)
    if completes and standing.status != LessonStatus.COMPLETED:
        return _complete(member, lesson, enrollment, standing, actor=actor, values=fields)
    row_id, status = standing.row_id, standing.status
    if row_id is None:
        status = LessonStatus.IN_PROGRESS
        row_id = _insert_row(member, lesson, status=status, **fields)
    else:
        progress_sql.update_row(LessonProgress, row_id, **fields)
    return _unchanged(_row(member, lesson, row_id, status), enrollment)


def _insert_row(member: User, lesson: Lesson, **values: Any) -> int:
    return progress_sql.insert_progress(
        member_id=member.pk, lesson_id=lesson.pk, course_id=lesson.chapter.course_id, **values
    )


def _unchanged(row: LessonProgress, enrollment: LockedEnrollment) -> CourseProgress:
    return CourseProgress(lesson_progress=row, progress=enrollment.progress, completed_at=enrollment.completed_at)


def _complete(
    member: User,
    lesson: Lesson,
    enrollment: LockedEnrollment,
    standing: Standing,
    *,
    actor: User | None,
    values: dict[str, Any] | None = None,
) -> CourseProgress:
    """Complete the member's row for `lesson` (writing `values` with it: a SCORM commit's data)
    and the course progress; nothing when the row is completed already."""
    if standing.status == LessonStatus.COMPLETED:
        return _unchanged(_row(member, lesson, standing.row_id, LessonStatus.COMPLETED), enrollment)
    now = timezone.now()
    done = {"status": LessonStatus.COMPLETED, "completed_at": now, **(values or {})}
    row_id = standing.row_id
    if row_id is None:
        row_id = _insert_row(member, lesson, started_at=now, **done)
    else:
        progress_sql.update_row(LessonProgress, row_id, **done)
    row = _row(member, lesson, row_id, LessonStatus.COMPLETED)
    row.completed_at = now
    return _update_course_progress(member, lesson, enrollment, row, completed=standing.completed + 1, actor=actor)


def _update_course_progress(
    member: User,
    lesson: Lesson,
    enrollment: LockedEnrollment,
    row: LessonProgress,
    *,
    completed: int,
    actor: User | None,
) -> CourseProgress:
    """At most one UPDATE of the enrollment: the lessons were counted by the locking read, the
    completed ones under the lock (`completed`, this one included)."""
    now = row.completed_at
    progress = _percent(completed, enrollment.lesson_count)
    reached = progress == 100 and enrollment.completed_at is None
    changes: dict[str, Any] = {}
    if progress != enrollment.progress:
        changes["progress"] = progress
    if reached:
        changes["completed_at"] = now
    if changes:
        progress_sql.update_row(CourseEnrollment, enrollment.id, **changes)
        enrollment.progress = progress
        enrollment.completed_at = changes.get("completed_at", enrollment.completed_at)
    if reached:
        _on_course_completed(member, lesson.chapter.course, batch_id=enrollment.batch_id, actor=actor, at=now)
    return CourseProgress(lesson_progress=row, progress=progress, completed_at=enrollment.completed_at)


def _on_course_completed(
    member: User, course: Course, *, batch_id: int | None, actor: User | None, at: dt.datetime
) -> None:
    """Everything that follows a member completing a course, in the completing transaction: the
    open training assignment for the course closes, the certificates it earns are issued (the course's
    when it has `certificate` on, and each complete cohort's with `certification` on; CONTRACT.md
    section 13; their PDFs are rendered after commit), and an audit event records it."""
    result = record_course_completion(member=member, course=course, actor=actor, at=at, on=timezone.localdate(at))
    record_event(
        EventType.COURSE_COMPLETED,
        actor=actor,
        batch=Batch.objects.filter(pk=batch_id).first() if batch_id else None,
        member=member,
        source="learning",
        after={
            "course": course.name,
            "completed_at": at.isoformat(),
            "training_assignments_completed": result.closed_assignments,
            "certificates": [certificate.name for certificate in result.certificates],
        },
    )
