"""Reads on course content and progress. Each answers in a fixed number of queries, whatever the
number of chapters, lessons, members or courses."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Max, Min, Prefetch, Q, QuerySet
from django.utils import timezone

from smoothlms.catalog.models import Batch, BatchCourse, Chapter, Course, Lesson
from smoothlms.enrollment.models import BatchEnrollment, CourseEnrollment, EnrollmentStatus
from smoothlms.learning import progress_sql
from smoothlms.learning.errors import ChapterNotFound, CourseNotFound, LessonNotFound
from smoothlms.learning.models import LessonProgress, LessonStatus
from smoothlms.people.models import User
from smoothlms.training.models import AssignmentStatus, TrainingAssignment

# Access ---------------------------------------------------------------------------------------


def active_course_enrollments(*, member: User | int, course: Course | int) -> QuerySet[CourseEnrollment]:
    """The course enrollment that gives `member` the lessons of `course`: it exists and is active.
    The one definition of course access (the services lock the same row)."""
    return CourseEnrollment.objects.filter(member=member, course=course, status=EnrollmentStatus.ACTIVE)


def has_course_access(user: User | None, course: Course) -> bool:
    """Whether `user` may open the lessons of `course`: an active course enrollment (cancelling the
    cohort enrollment that gave it withdraws it; the progress stays)."""
    if user is None or not user.is_authenticated or not user.enabled:
        return False
    return active_course_enrollments(member=user, course=course).exists()


def get_course_enrollment(*, member: User, course: Course) -> CourseEnrollment | None:
    """The member's course enrollment whatever its state (progress is kept when access is withdrawn)."""
    if not member.is_authenticated:
        return None
    return CourseEnrollment.objects.filter(member=member, course=course).first()


def get_course_visible_to(*, name: str, user: User) -> Course:
    """The course named `name` if `user` may see it: published courses for everyone signed in;
    unpublished ones for staff and for members with a course enrollment. Else CourseNotFound."""
    course = Course.objects.filter(name=name).first()
    if course is None or not (
        course.published or user.is_staff or CourseEnrollment.objects.filter(member=user, course=course).exists()
    ):
        raise CourseNotFound(name=name)
    return course


# Outline --------------------------------------------------------------------------------------


@dataclass
class Outline:
    course: Course
    chapters: list[Chapter]
    lessons: list[Lesson]  # in course order; each has .status, and .chapter set from `chapters`
    enrollment: CourseEnrollment | None = None

    @property
    def progress(self) -> int | None:
        return None if self.enrollment is None else int(self.enrollment.progress)

    def first_unfinished(self) -> Lesson | None:
        """Where "Continue" leads: the first lesson not completed (the first one if all are)."""
        return next(
            (lesson for lesson in self.lessons if lesson.status != LessonStatus.COMPLETED),
            self.lessons[0] if self.lessons else None,
        )

    def neighbours(self, lesson: Lesson) -> tuple[Lesson | None, Lesson | None]:
        index = next(i for i, item in enumerate(self.lessons) if item.pk == lesson.pk)
        return (
            self.lessons[index - 1] if index else None,
            self.lessons[index + 1] if index + 1 < len(self.lessons) else None,
        )

    def lesson_at(self, chapter_position: int, lesson_position: int) -> Lesson:
        for lesson in self.lessons:
            if lesson.chapter.position == chapter_position and lesson.position == lesson_position:
                return lesson
        raise LessonNotFound(lesson=f"{chapter_position}-{lesson_position}", course=self.course.name)

    def lesson_by_id(self, lesson_id: int) -> Lesson:
        for lesson in self.lessons:
            if lesson.pk == lesson_id:
                return lesson
        raise LessonNotFound(lesson=lesson_id, course=self.course.name)


def get_outline(*, course: Course, member: User | None = None) -> Outline:
    """The course's chapters and lessons in order; for a member with a course enrollment, each
    lesson's status (not_started, in_progress, completed) and the course progress. Four queries."""
    chapters = list(
        Chapter.objects.filter(course=course)
        .order_by("position")
        .prefetch_related(Prefetch("lessons", queryset=Lesson.objects.order_by("position")))
    )
    enrollment = get_course_enrollment(member=member, course=course) if member is not None else None
    statuses: dict[int, str] = {}
    if enrollment is not None:
        statuses = dict(LessonProgress.objects.filter(member=member, course=course).values_list("lesson_id", "status"))
    lessons = []
    for chapter in chapters:
        chapter.course = course
        for lesson in chapter.lessons.all():
            lesson.chapter = chapter
            lesson.status = statuses.get(lesson.pk, LessonStatus.NOT_STARTED)
            lessons.append(lesson)
    return Outline(course=course, chapters=chapters, lessons=lessons, enrollment=enrollment)


def get_chapter(*, course: Course, chapter_id: int) -> Chapter:
    chapter = Chapter.objects.filter(course=course, pk=chapter_id).select_related("course").first()
    if chapter is None:
        raise ChapterNotFound(chapter=chapter_id, course=course.name)
    return chapter


def get_lesson(*, lesson_id: int, course: Course | None = None) -> Lesson:
    """A lesson with its chapter and course; within `course` when given."""
    queryset = Lesson.objects.select_related("chapter__course")
    if course is not None:
        queryset = queryset.filter(chapter__course=course)
    lesson = queryset.filter(pk=lesson_id).first()
    if lesson is None:
        raise LessonNotFound(lesson=lesson_id, course=course.name if course else "any")
    return lesson


def get_lesson_for_step(*, lesson_id: int) -> Lesson:
    """The lesson a learner's step (complete, SCORM commit) is for, read by one plain statement:
    its kind, SCORM version and chapter (with the course id); other fields load when read."""
    lesson = progress_sql.read_lesson(lesson_id)
    if lesson is None:
        raise LessonNotFound(lesson=lesson_id, course="any")
    return lesson


def get_lesson_progress(*, member: User, lesson: Lesson) -> LessonProgress | None:
    return LessonProgress.objects.filter(member=member, lesson=lesson).first()


def count_lessons(*, course: Course | int) -> int:
    return Lesson.objects.filter(chapter__course=course).count()


# A learner's courses ----------------------------------------------------------------------------


@dataclass(frozen=True)
class MyCourse:
    course: Course
    batch: Batch | None
    progress: int
    completed_at: dt.datetime | None
    due_date: dt.date | None  # of the open training assignment for the course, if any
    enrolled: bool  # False: assigned as training but no course access yet
    assignment_closed_at: dt.datetime | None = None  # the latest training assignment it completed

    @property
    def is_overdue(self) -> bool:
        return self.due_date is not None and self.completed_at is None and self.due_date < timezone.localdate()


def list_my_courses(*, member: User, today: dt.date | None = None) -> list[MyCourse]:
    """The member's active course enrollments with the cohort each came from and the due date of an
    open training assignment (and when the last one was completed), plus assigned courses without
    access yet; overdue ones first, then by due date, then by title. Three queries."""
    enrollments = list(
        CourseEnrollment.objects.filter(member=member, status=EnrollmentStatus.ACTIVE).select_related(
            "course", "enrollment_from_batch"
        )
    )
    due = dict(
        TrainingAssignment.objects.filter(user=member, status=AssignmentStatus.ASSIGNED)
        .values("course_id")
        .annotate(due=Min("due_date"))
        .values_list("course_id", "due")
    )
    closed = dict(
        TrainingAssignment.objects.filter(user=member, status=AssignmentStatus.COMPLETED)
        .values("course_id")
        .annotate(at=Max("completed_at"))
        .values_list("course_id", "at")
    )
    rows = [
        MyCourse(
            course=e.course,
            batch=e.enrollment_from_batch,
            progress=int(e.progress),
            completed_at=e.completed_at,
            due_date=due.pop(e.course_id, None),
            enrolled=True,
            assignment_closed_at=closed.get(e.course_id),
        )
        for e in enrollments
    ]
    if due:
        for course in Course.objects.filter(pk__in=due):
            rows.append(
                MyCourse(
                    course=course, batch=None, progress=0, completed_at=None, due_date=due[course.pk], enrolled=False
                )
            )
    today = today or timezone.localdate()
    far = dt.date.max
    rows.sort(
        key=lambda row: (
            not (row.due_date and row.due_date < today),
            row.due_date or far,
            row.course.title.casefold(),
            row.course.pk,
        )
    )
    return rows


# A cohort's progress ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ProgressCell:
    member: User
    course: Course
    progress: int
    completed_at: dt.datetime | None


@dataclass
class BatchProgress:
    courses: list[Course]
    members: list[User]
    cells: list[ProgressCell] = field(default_factory=list)  # member-major, courses in cohort order
    member_count: int = 0

    @property
    def count(self) -> int:
        return self.member_count * len(self.courses)

    def rows(self) -> list[tuple[User, list[ProgressCell]]]:
        width = len(self.courses)
        return [(member, self.cells[i * width : (i + 1) * width]) for i, member in enumerate(self.members)]


def get_batch_progress(*, batch: Batch, offset: int = 0, limit: int | None = None) -> BatchProgress:
    """Progress of every active member of the cohort in every cohort course: one cell per (member,
    course), members by email, courses in cohort order, `offset`/`limit` counted in cells. A member
    without a course enrollment (not granted yet) shows 0%. Four queries."""
    courses = [
        link.course
        for link in BatchCourse.objects.filter(batch=batch).select_related("course").order_by("position", "id")
    ]
    roster = (
        BatchEnrollment.objects.filter(batch=batch, status=EnrollmentStatus.ACTIVE)
        .select_related("member")
        .order_by("member__email", "member_id")
    )
    member_count = roster.count()
    result = BatchProgress(courses=courses, members=[], member_count=member_count)
    if not courses or not member_count:
        return result
    width = len(courses)
    first = offset // width
    last = member_count if limit is None else min(member_count, -(-(offset + limit) // width))
    result.members = [enrollment.member for enrollment in roster[first:last]]
    found = {
        (e.member_id, e.course_id): e
        for e in CourseEnrollment.objects.filter(member__in=result.members, course__in=courses).only(
            "member_id", "course_id", "progress", "completed_at"
        )
    }
    cells = []
    for member in result.members:
        for course in courses:
            enrollment = found.get((member.pk, course.pk))
            cells.append(
                ProgressCell(
                    member=member,
                    course=course,
                    progress=int(enrollment.progress) if enrollment else 0,
                    completed_at=enrollment.completed_at if enrollment else None,
                )
            )
    start = offset - first * width
    result.cells = cells[start : start + limit] if limit is not None else cells[start:]
    return result


# The dashboard ----------------------------------------------------------------------------------


def count_completions_per_week(*, weeks: int, zone, now: dt.datetime) -> list[tuple[dt.date, int]]:
    """[(Monday, course completions)] for the `weeks` weeks up to `now`'s week in `zone`, oldest
    first. One query: a filtered COUNT per week over instants computed here."""
    today = now.astimezone(zone).date()
    first = today - dt.timedelta(days=today.weekday(), weeks=weeks - 1)
    bounds = [dt.datetime.combine(first + dt.timedelta(weeks=i), dt.time(0), tzinfo=zone) for i in range(weeks + 1)]
    counts = CourseEnrollment.objects.filter(completed_at__gte=bounds[0], completed_at__lt=bounds[-1]).aggregate(
        **{
            f"w{i}": Count("id", filter=Q(completed_at__gte=bounds[i], completed_at__lt=bounds[i + 1]))
            for i in range(weeks)
        }
    )
    return [(first + dt.timedelta(weeks=i), counts[f"w{i}"] or 0) for i in range(weeks)]
