"""Course content and progress (CONTRACT.md section 11): authoring chapters, lessons and SCORM
packages (Course Creator, Moderator), the outline, a learner's own lessons and courses, and a
cohort's progress (Moderator, Batch Evaluator)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import File, Query, Router
from ninja.files import UploadedFile
from ninja.responses import Status
from pydantic import BaseModel, Field

from smoothlms.api.v1.auth import COURSE_EDITORS, ROSTER_READERS, require_roles
from smoothlms.api.v1.courses import CourseOut, course_data
from smoothlms.api.v1.errors import AUTH, BODY, VALIDATION, responses
from smoothlms.api.v1.schemas import MAX_ID, Id, Input, Page, envelope, list_envelope, paginate, text
from smoothlms.assessments.selectors import get_quiz
from smoothlms.assessments.services import create_quiz_lesson
from smoothlms.catalog.models import Chapter, Lesson, LessonKind
from smoothlms.catalog.selectors import get_batch, get_course
from smoothlms.learning import selectors, services
from smoothlms.learning.errors import InvalidContent
from smoothlms.learning.models import LessonStatus

router = Router(tags=["content"])

CourseName = text(140, description="The course's name, e.g. python-101.")
Title = text(200, min_length=1)
LessonId = Annotated[int, Field(ge=1, le=MAX_ID, description="The lesson's id.")]

EDITORS_ONLY = {403: "`permission_denied`: only Course Creators and Moderators edit course content."}
COURSE_NOT_FOUND = {404: "`not_found`: No course named {name}."}
LESSON_NOT_FOUND = {404: "`not_found`: No course named {name}; No lesson {lesson} in course {course}."}
NOT_ENROLLED = {403: "`not_enrolled_in_course`: You are not enrolled in this course."}
PACKAGE_INVALID = {
    422: "`scorm_package_invalid`: This SCORM package cannot be used: {reason} (not a zip, "
    "too large, an absolute or `..` path, a link, no imsmanifest.xml, no launch file, a zip "
    "bomb); `validation_error`: no `file` part."
}


# Shapes ----------------------------------------------------------------------------------------


class ChapterIn(Input):
    title: Title


class ChapterOut(BaseModel):
    id: int
    title: str
    position: int = Field(description="1-based, within the course.")


class LessonIn(Input):
    chapter: Id = Field(description="The chapter's id (from creating it, or the outline).")
    title: Title
    kind: LessonKind
    body: text() = Field("", description="Markdown (text lessons; an introduction for the others).")
    url: text(500) = Field("", description="Video lessons: the video's URL.")
    quiz: Id | None = Field(
        None,
        description="For a `quiz` lesson: the id of a quiz of this course, which the "
        "lesson then is (a passing submission completes it).",
    )


class LessonOut(BaseModel):
    id: int
    chapter: int
    title: str
    kind: LessonKind
    position: int = Field(description="1-based, within the chapter.")
    body: str
    url: str
    file: str | None = Field(description="File lessons: the document's file name.")
    scorm_version: str | None = Field(description="SCORM lessons: `1.2` or `2004`, once a package is uploaded.")
    scorm_launch: str | None = Field(description="SCORM lessons: the launch file inside the package.")


class OutlineLessonOut(BaseModel):
    id: int
    title: str
    kind: LessonKind
    position: int
    status: LessonStatus | None = Field(None, description="For a learner with a course enrollment.")


class OutlineChapterOut(BaseModel):
    id: int
    title: str
    position: int
    lessons: list[OutlineLessonOut]


class OutlineOut(CourseOut):
    chapters: list[OutlineChapterOut]
    progress: int | None = Field(description="The caller's progress (0-100); null without a course enrollment.")


class ProgressOut(BaseModel):
    lesson: int
    status: LessonStatus = Field(description="The lesson's status for the caller.")
    progress: int = Field(description="The course progress: completed lessons / lessons, rounded down (0-100).")
    completed: bool = Field(description="Whether the course is completed (it reached 100%).")
    completed_at: dt.datetime | None = Field(description="When the course was completed.")


class ScormCommitIn(Input):
    cmi: dict[str, Any] = Field(
        description="The CMI values the package set, flattened: "
        '`{"cmi.core.lesson_status": "completed", "cmi.suspend_data": "..."}`.'
    )


class CourseProgressRowOut(BaseModel):
    course: str = Field(description="The course's name.")
    title: str
    batch: str | None = Field(description="The cohort that gave the course; null for a direct enrollment.")
    progress: int
    completed_at: dt.datetime | None
    due_date: dt.date | None = Field(description="The due date of the open training assignment for the course.")


class BatchProgressOut(BaseModel):
    member: str = Field(description="The member's email.")
    course: str
    progress: int
    completed_at: dt.datetime | None


def chapter_data(chapter: Chapter) -> dict[str, Any]:
    return {"id": chapter.pk, "title": chapter.title, "position": chapter.position}


def lesson_data(lesson: Lesson) -> dict[str, Any]:
    return {
        "id": lesson.pk,
        "chapter": lesson.chapter_id,
        "title": lesson.title,
        "kind": lesson.kind,
        "position": lesson.position,
        "body": lesson.body,
        "url": lesson.url,
        "file": lesson.file.name.rsplit("/", 1)[-1] if lesson.file else None,
        "scorm_version": lesson.scorm_version or None,
        "scorm_launch": lesson.scorm_launch or None,
    }


def progress_data(result: services.CourseProgress) -> dict[str, Any]:
    return {
        "lesson": result.lesson_progress.lesson_id,
        "status": result.lesson_progress.status,
        "progress": result.progress,
        "completed": result.completed,
        "completed_at": result.completed_at,
    }


# Authoring -------------------------------------------------------------------------------------


@router.post(
    "/courses/{name}/chapters",
    summary="Add a chapter",
    **responses(201, envelope(ChapterOut), {**AUTH, **EDITORS_ONLY, **COURSE_NOT_FOUND, **BODY, **VALIDATION}),
)
def create_chapter_endpoint(request: HttpRequest, name: CourseName, body: ChapterIn):
    """Add a chapter at the end of the course."""
    require_roles(request.auth, *COURSE_EDITORS)
    chapter = services.create_chapter(course=get_course(name=name), title=body.title, actor=request.auth)
    return Status(201, {"data": chapter_data(chapter)})


@router.post(
    "/courses/{name}/lessons",
    summary="Add a lesson",
    **responses(
        201,
        envelope(LessonOut),
        {
            **AUTH,
            **EDITORS_ONLY,
            404: "`not_found`: No course named {name}; No chapter {chapter} in course {course}; No quiz with id {id}.",
            409: "`quiz_not_of_course`, `quiz_already_a_lesson`.",
            **BODY,
            **VALIDATION,
        },
    ),
)
def create_lesson_endpoint(request: HttpRequest, name: CourseName, body: LessonIn):
    """Add a lesson at the end of a chapter. A `scorm` lesson gets its package from
    `POST /courses/{name}/lessons/{id}/package`, a `file` lesson its document from `.../file`. A
    `quiz` lesson with `quiz` is that quiz of the course (a passing submission completes it)."""
    require_roles(request.auth, *COURSE_EDITORS)
    course = get_course(name=name)
    chapter = selectors.get_chapter(course=course, chapter_id=body.chapter)
    if body.quiz is not None:
        if body.kind != LessonKind.QUIZ:
            raise InvalidContent(
                detail=f"quiz: only a quiz lesson is a quiz (this one is {body.kind}).", fields=["quiz"]
            )
        lesson = create_quiz_lesson(
            course=course, chapter=chapter, title=body.title, quiz=get_quiz(quiz_id=body.quiz), actor=request.auth
        )
        return Status(201, {"data": lesson_data(lesson)})
    lesson = services.create_lesson(
        course=course,
        chapter=chapter,
        title=body.title,
        kind=body.kind,
        body=body.body,
        url=body.url,
        actor=request.auth,
    )
    return Status(201, {"data": lesson_data(lesson)})


@router.post(
    "/courses/{name}/lessons/{lesson_id}/package",
    summary="Upload a SCORM package",
    **responses(
        201,
        envelope(LessonOut),
        {
            **AUTH,
            **EDITORS_ONLY,
            **LESSON_NOT_FOUND,
            409: "`not_a_scorm_lesson`: Lesson {lesson} is a {kind} lesson, not a SCORM lesson.",
            **BODY,
            **PACKAGE_INVALID,
        },
    ),
)
def upload_package_endpoint(request: HttpRequest, name: CourseName, lesson_id: LessonId, file: File[UploadedFile]):
    """A SCORM 1.2 or 2004 zip (multipart field `file`, up to SCORM_MAX_MB), checked and extracted as
    the lesson's content; it replaces the previous package."""
    require_roles(request.auth, *COURSE_EDITORS)
    lesson = selectors.get_lesson(lesson_id=lesson_id, course=get_course(name=name))
    lesson = services.attach_scorm_package(lesson=lesson, upload=file, actor=request.auth)
    return Status(201, {"data": lesson_data(lesson)})


@router.post(
    "/courses/{name}/lessons/{lesson_id}/file",
    summary="Upload a file lesson's document",
    **responses(
        201,
        envelope(LessonOut),
        {
            **AUTH,
            **EDITORS_ONLY,
            **LESSON_NOT_FOUND,
            409: "`not_a_file_lesson`: Lesson {lesson} is a {kind} lesson, not a file lesson.",
            **BODY,
            422: "`validation_error`: no `file` part.",
        },
    ),
)
def upload_file_endpoint(request: HttpRequest, name: CourseName, lesson_id: LessonId, file: File[UploadedFile]):
    """The document of a `file` lesson (multipart field `file`); it replaces the previous one."""
    require_roles(request.auth, *COURSE_EDITORS)
    lesson = selectors.get_lesson(lesson_id=lesson_id, course=get_course(name=name))
    lesson = services.attach_lesson_file(lesson=lesson, upload=file, actor=request.auth)
    return Status(201, {"data": lesson_data(lesson)})


@router.get(
    "/courses/{name}/outline",
    summary="A course's outline",
    **responses(200, envelope(OutlineOut), {**AUTH, **COURSE_NOT_FOUND, **VALIDATION}),
)
def outline_endpoint(request: HttpRequest, name: CourseName):
    """The course with its chapters and lessons in order; for a learner with a course enrollment,
    each lesson's `status` (`not_started`, `in_progress`, `completed`) and the course `progress`."""
    course = selectors.get_course_visible_to(name=name, user=request.auth)
    outline = selectors.get_outline(course=course, member=request.auth)
    with_status = outline.enrollment is not None
    chapters = []
    for chapter in outline.chapters:
        lessons = [lesson for lesson in outline.lessons if lesson.chapter_id == chapter.pk]
        chapters.append(
            {
                **chapter_data(chapter),
                "lessons": [
                    {
                        "id": lesson.pk,
                        "title": lesson.title,
                        "kind": lesson.kind,
                        "position": lesson.position,
                        **({"status": lesson.status} if with_status else {}),
                    }
                    for lesson in lessons
                ],
            }
        )
    return {"data": {**course_data(course), "chapters": chapters, "progress": outline.progress}}


# The learner -----------------------------------------------------------------------------------


@router.post(
    "/me/lessons/{lesson_id}/complete",
    summary="Complete a lesson",
    **responses(
        200,
        envelope(ProgressOut),
        {
            **AUTH,
            **NOT_ENROLLED,
            404: "`not_found`: No lesson {lesson}.",
            409: "`lesson_completes_by_itself`: SCORM lessons complete when the package reports it, quizzes on a "
            "passing submission.",
            **VALIDATION,
        },
    ),
)
def complete_lesson_endpoint(request: HttpRequest, lesson_id: LessonId):
    """Mark a text, video or file lesson complete: answers the course `progress` and whether the
    course is `completed`. Completing a completed lesson changes nothing."""
    result = services.mark_lesson_complete(member=request.auth, lesson=lesson_id, actor=request.auth)
    return {"data": progress_data(result)}


@router.post(
    "/me/lessons/{lesson_id}/scorm",
    summary="Save SCORM runtime data",
    **responses(
        200,
        envelope(ProgressOut),
        {
            **AUTH,
            **NOT_ENROLLED,
            404: "`not_found`: No lesson {lesson}.",
            409: "`not_a_scorm_lesson`: the lesson is not a SCORM lesson.",
            **BODY,
            **VALIDATION,
        },
    ),
)
def commit_scorm_endpoint(request: HttpRequest, lesson_id: LessonId, body: ScormCommitIn):
    """What the portal's SCORM runtime commits: the package's CMI values, restored on the next
    launch. The lesson completes when they report it (1.2 `cmi.core.lesson_status` completed or
    passed; 2004 `cmi.completion_status` completed or `cmi.success_status` passed)."""
    result = services.commit_scorm_data(member=request.auth, lesson=lesson_id, cmi=body.cmi, actor=request.auth)
    return {"data": progress_data(result)}


@router.get(
    "/me/courses", summary="My courses", **responses(200, list_envelope(CourseProgressRowOut), {**AUTH, **VALIDATION})
)
def my_courses_endpoint(request: HttpRequest, page: Query[Page]):
    """The caller's courses with the cohort each came from, progress, completion and the due date of
    an open training assignment (overdue ones first)."""
    return paginate(
        selectors.list_my_courses(member=request.auth),
        page,
        lambda row: {
            "course": row.course.name,
            "title": row.course.title,
            "batch": row.batch.name if row.batch else None,
            "progress": row.progress,
            "completed_at": row.completed_at,
            "due_date": row.due_date,
        },
    )


# A cohort's progress ------------------------------------------------------------------------------


@router.get(
    "/batches/{name}/progress",
    summary="A cohort's progress",
    **responses(
        200,
        list_envelope(BatchProgressOut),
        {
            **AUTH,
            403: "`permission_denied`: only Moderators and Batch Evaluators read a cohort's progress.",
            404: "`not_found`: No cohort named {name}.",
            **VALIDATION,
        },
    ),
)
def batch_progress_endpoint(request: HttpRequest, name: CourseName, page: Query[Page]):
    """Every active member's progress in every cohort course, by member email then course order."""
    batch = get_batch(name=name, visible_to=request.auth)
    require_roles(request.auth, *ROSTER_READERS)
    table = selectors.get_batch_progress(batch=batch, offset=page.offset, limit=page.limit)
    return {
        "count": table.count,
        "data": [
            {
                "member": cell.member.email,
                "course": cell.course.name,
                "progress": cell.progress,
                "completed_at": cell.completed_at,
            }
            for cell in table.cells
        ],
    }
