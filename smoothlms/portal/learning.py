"""The learner's courses (/lms/courses/...): my courses, a course's outline, a lesson with previous /
next and "Mark as complete", the SCORM player's files and lesson documents. Thin views over the
learning selectors and services; lessons open only with course access (403 otherwise)."""

from __future__ import annotations

import mimetypes
from pathlib import Path

from django.contrib import messages
from django.core.exceptions import SuspiciousFileOperation
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST, require_safe

from smoothlms.catalog.models import Course, Lesson, LessonKind
from smoothlms.core.errors import DomainError
from smoothlms.enrollment.models import EnrollmentStatus
from smoothlms.enrollment.selectors import list_member_enrollments
from smoothlms.learning import scorm, selectors, services
from smoothlms.learning.errors import CourseNotFound, LessonNotFound, NotEnrolledInCourse
from smoothlms.learning.rendering import render_markdown, video_embed
from smoothlms.portal.views import learner_required, not_found

INLINE_TYPES = {
    "application/pdf",
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "text/plain",
    "video/mp4",
    "video/webm",
    "audio/mpeg",
}
SCORM_RUNTIME = {"1.2": "vendor/scorm-again/scorm12.min.js", "2004": "vendor/scorm-again/scorm2004.min.js"}


def forbidden(request: HttpRequest, error: DomainError, *, course: Course | None = None) -> HttpResponse:
    return render(
        request,
        "portal/learning/forbidden.html",
        {"message": error.user_message(), "code": error.code, "course": course},
        status=403,
    )


def lesson_url(lesson: Lesson) -> str:
    return reverse("portal:lesson", args=[lesson.chapter.course.name, lesson.chapter.position, lesson.position])


@require_safe
@learner_required
def my_courses(request: HttpRequest) -> HttpResponse:
    rows = selectors.list_my_courses(member=request.user)
    waiting = list_member_enrollments(member=request.user, status=EnrollmentStatus.WAITLISTED)
    return render(request, "portal/learning/courses.html", {"rows": rows, "waiting": waiting})


@require_safe
@learner_required
def course_outline(request: HttpRequest, course: str) -> HttpResponse:
    try:
        found = selectors.get_course_visible_to(name=course, user=request.user)
    except CourseNotFound as error:
        return not_found(request, error)
    outline = selectors.get_outline(course=found, member=request.user)
    can_learn = selectors.has_course_access(request.user, found)
    resume = outline.first_unfinished() if can_learn else None
    return render(
        request,
        "portal/learning/outline.html",
        {
            "course": found,
            "outline": outline,
            "can_learn": can_learn,
            "resume_url": lesson_url(resume) if resume else "",
            "resume_label": "Continue"
            if any(lesson.status != "not_started" for lesson in outline.lessons)
            else "Start",
            "withdrawn": outline.enrollment is not None and not can_learn,
        },
    )


def _load_lesson(request: HttpRequest, course: str, chapter: int, lesson: int):
    """(course, outline, lesson) for a learner with access, or the response that refuses."""
    try:
        found = selectors.get_course_visible_to(name=course, user=request.user)
        outline = selectors.get_outline(course=found, member=request.user)
        item = outline.lesson_at(chapter, lesson)
    except (CourseNotFound, LessonNotFound) as error:
        return None, None, None, not_found(request, error)
    if not selectors.has_course_access(request.user, found):
        return None, None, None, forbidden(request, NotEnrolledInCourse(), course=found)
    return found, outline, item, None


@require_safe
@learner_required
def lesson_page(request: HttpRequest, course: str, chapter: int, lesson: int) -> HttpResponse:
    found, outline, item, refusal = _load_lesson(request, course, chapter, lesson)
    if refusal is not None:
        return refusal
    progress = services.start_lesson(member=request.user, lesson=item, actor=request.user)
    if item.status == "not_started":
        item.status = progress.status
    previous, following = outline.neighbours(item)
    context = {
        "course": found,
        "outline": outline,
        "lesson": item,
        "lesson_progress": progress,
        "previous_url": lesson_url(previous) if previous else "",
        "next_url": lesson_url(following) if following else "",
        "previous": previous,
        "next": following,
        "body_html": mark_safe(render_markdown(item.body)),  # noqa: S308 - nh3
        "can_mark_complete": item.kind in services.SELF_COMPLETED,
        "number": outline.lessons.index(item) + 1,
    }
    if item.kind == LessonKind.VIDEO:
        context["video"] = video_embed(item.url)
    if item.kind == LessonKind.SCORM and item.scorm_launch:
        context["scorm"] = _scorm_context(request, item, progress)
    return render(request, "portal/learning/lesson.html", context)


def _scorm_context(request: HttpRequest, lesson: Lesson, progress) -> dict:
    user = request.user
    return {
        "runtime": static(SCORM_RUNTIME[lesson.scorm_version]),
        "config": {
            "version": lesson.scorm_version,
            "commitUrl": f"/api/v1/me/lessons/{lesson.pk}/scorm",
            "launchUrl": reverse("portal:scorm_file", args=[lesson.pk, lesson.scorm_launch.split("?")[0]])
            + ("?" + lesson.scorm_launch.split("?", 1)[1] if "?" in lesson.scorm_launch else ""),
            "values": scorm.launch_values(
                lesson.scorm_version, progress.scorm_data or {}, learner_id=user.email, learner_name=user.display_name
            ),
        },
    }


@require_POST
@learner_required
def lesson_complete(request: HttpRequest, course: str, chapter: int, lesson: int) -> HttpResponse:
    found, outline, item, refusal = _load_lesson(request, course, chapter, lesson)
    if refusal is not None:
        return refusal
    try:
        result = services.mark_lesson_complete(member=request.user, lesson=item, actor=request.user)
    except DomainError as error:
        messages.error(request, error.user_message())
        return redirect(lesson_url(item))
    if result.completed and result.progress == 100:
        messages.success(request, f"Course completed: {found.title}. Well done!")
    else:
        messages.success(request, f"Lesson completed. Course progress: {result.progress}%.")
    _previous, following = outline.neighbours(item)
    return redirect(lesson_url(following) if following and request.POST.get("then") == "next" else lesson_url(item))


def _lesson_for_files(request: HttpRequest, lesson_id: int) -> Lesson:
    """The lesson if the user may open it; 404 otherwise (files do not tell who may read them)."""
    try:
        lesson = selectors.get_lesson(lesson_id=lesson_id)
    except LessonNotFound:
        raise Http404("No such lesson.") from None
    if not selectors.has_course_access(request.user, lesson.chapter.course):
        raise Http404("No such lesson.")
    return lesson


@require_safe
@learner_required
@xframe_options_sameorigin
def scorm_file(request: HttpRequest, lesson_id: int, path: str) -> HttpResponse:
    """A file of a lesson's extracted SCORM package, same-origin (the portal frames it)."""
    lesson = _lesson_for_files(request, lesson_id)
    root = scorm.package_dir(course_name=lesson.chapter.course.name, lesson_id=lesson.pk).resolve()
    target = _inside(root, path)
    content_type, encoding = mimetypes.guess_type(target.name)
    response = FileResponse(target.open("rb"), content_type=content_type or "application/octet-stream")
    if encoding:
        response["Content-Encoding"] = encoding
    response["Cache-Control"] = "private, max-age=300"
    return response


def _inside(root: Path, path: str) -> Path:
    """`path` below `root`, resolved (links included), or 404."""
    try:
        target = (root / path).resolve()
    except (OSError, ValueError, SuspiciousFileOperation):
        raise Http404("No such file.") from None
    if root not in target.parents or not target.is_file():
        raise Http404("No such file.")
    return target


@require_safe
@learner_required
@never_cache
def lesson_file(request: HttpRequest, lesson_id: int) -> HttpResponse:
    """A file lesson's document, for learners with access."""
    lesson = _lesson_for_files(request, lesson_id)
    if lesson.kind != LessonKind.FILE or not lesson.file:
        raise Http404("This lesson has no document.")
    name = lesson.file.name.rsplit("/", 1)[-1]
    # Shown in the browser only when it cannot run script on our origin; anything else downloads.
    inline = mimetypes.guess_type(name)[0] in INLINE_TYPES and request.GET.get("download") != "1"
    return FileResponse(lesson.file.open("rb"), as_attachment=not inline, filename=name)
