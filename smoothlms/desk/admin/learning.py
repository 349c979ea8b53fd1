"""Desk authoring of course content (/app/lms-course/<name>): the course page lists its chapters
and lessons in order with up/down buttons, adds and removes them, and opens a lesson's page (title,
kind, Markdown body with a preview, video URL, document, SCORM package). Every change goes through
the learning services; refusals show as messages. Also the cohort page's progress heat table.

The hook: CourseAdmin inherits `CourseContentAdmin` (one line), which adds the page's content
section and its URLs."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from smoothlms.catalog.models import Batch, Chapter, Course, Lesson, LessonKind
from smoothlms.core.errors import DomainError
from smoothlms.desk.pages import render_desk
from smoothlms.learning import selectors, services
from smoothlms.learning.rendering import render_markdown
from smoothlms.people.roles import can_read_rosters

PREVIEW_LIMIT = 200_000
HEAT_MEMBERS_SHOWN = 200


class LessonForm(forms.Form):
    title = forms.CharField(max_length=200)
    kind = forms.ChoiceField(choices=LessonKind.choices)
    body = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 14, "class": "desk-markdown"}),
        help_text="Markdown: **bold**, *italic*, lists, tables, links. Raw HTML is not kept.",
    )
    url = forms.URLField(
        required=False,
        assume_scheme="https",
        max_length=500,
        label="Video URL",
        help_text="Video lessons: a YouTube or Vimeo page, or a video file's address.",
    )
    document = forms.FileField(required=False, help_text="File lessons: the document learners open.")
    package = forms.FileField(
        required=False,
        label="SCORM package",
        help_text="SCORM lessons: a SCORM 1.2 or 2004 zip. It replaces the current one.",
    )


class CourseContentAdmin:
    """Mixed into CourseAdmin: the course page's "Content" section and the URLs it posts to."""

    change_form_template = "desk/learning/course_change_form.html"

    def get_urls(self):
        wrap = self.admin_site.admin_view
        name = "catalog_course_content"
        custom = [
            path("content/preview/", wrap(self.preview_view), name=f"{name}_preview"),
            path("<path:object_id>/content/chapters/add/", wrap(self.add_chapter_view), name=f"{name}_add_chapter"),
            path(
                "<path:object_id>/content/chapters/<int:chapter_id>/<str:action>/",
                wrap(self.chapter_view),
                name=f"{name}_chapter",
            ),
            path("<path:object_id>/content/lessons/add/", wrap(self.add_lesson_view), name=f"{name}_add_lesson"),
            path("<path:object_id>/content/lessons/<int:lesson_id>/", wrap(self.lesson_view), name=f"{name}_lesson"),
            path(
                "<path:object_id>/content/lessons/<int:lesson_id>/<str:action>/",
                wrap(self.lesson_action_view),
                name=f"{name}_lesson_action",
            ),
        ]
        return custom + super().get_urls()

    def change_view(self, request: HttpRequest, object_id, form_url="", extra_context=None):
        course = self.get_object(request, object_id)
        if course is not None:
            outline = selectors.get_outline(course=course)
            extra_context = {
                **(extra_context or {}),
                "outline": outline,
                "can_author": self.has_change_permission(request, course),
                "lesson_kinds": LessonKind.choices,
            }
        return super().change_view(request, object_id, form_url, extra_context)

    # Helpers ------------------------------------------------------------------------------

    def _course_for_change(self, request: HttpRequest, object_id) -> Course:
        course = self.get_object(request, object_id)
        if course is None or not self.has_change_permission(request, course):
            raise PermissionDenied("Only Course Creators and Moderators edit course content.")
        return course

    def _back(self, course: Course, anchor: str = "content") -> HttpResponse:
        return redirect(reverse("admin:catalog_course_change", args=[course.pk]) + f"#{anchor}")

    def _run(self, request: HttpRequest, done: str, call, **kwargs) -> Any:
        try:
            result = call(**kwargs, actor=request.user)
        except DomainError as error:
            self.message_user(request, error.user_message(), messages.ERROR)
            return None
        self.message_user(request, done, messages.SUCCESS)
        return result if result is not None else True

    # Views --------------------------------------------------------------------------------

    def add_chapter_view(self, request: HttpRequest, object_id) -> HttpResponse:
        course = self._course_for_change(request, object_id)
        if request.method == "POST":
            title = request.POST.get("title", "")
            self._run(request, f"Chapter {title.strip()} added.", services.create_chapter, course=course, title=title)
        return self._back(course)

    def chapter_view(self, request: HttpRequest, object_id, chapter_id: int, action: str) -> HttpResponse:
        course = self._course_for_change(request, object_id)
        chapter = Chapter.objects.filter(course=course, pk=chapter_id).select_related("course").first()
        if request.method != "POST" or chapter is None:
            return self._back(course)
        if action in ("up", "down"):
            self._run(
                request, f"Moved {chapter.title} {action}.", services.move_chapter, chapter=chapter, up=action == "up"
            )
        elif action == "rename":
            self._run(
                request,
                "Chapter renamed.",
                services.rename_chapter,
                chapter=chapter,
                title=request.POST.get("title", ""),
            )
        elif action == "delete":
            self._run(request, f"Chapter {chapter.title} deleted.", services.delete_chapter, chapter=chapter)
        return self._back(course)

    def add_lesson_view(self, request: HttpRequest, object_id) -> HttpResponse:
        course = self._course_for_change(request, object_id)
        if request.method != "POST":
            return self._back(course)
        chapter = Chapter.objects.filter(course=course, pk=request.POST.get("chapter") or 0).first()
        if chapter is None:
            self.message_user(request, "Choose a chapter for the lesson.", messages.ERROR)
            return self._back(course)
        lesson = self._run(
            request,
            "Lesson added: fill it in below.",
            services.create_lesson,
            course=course,
            chapter=chapter,
            title=request.POST.get("title", ""),
            kind=request.POST.get("kind", LessonKind.TEXT),
            url=request.POST.get("url", ""),
        )
        if isinstance(lesson, Lesson):
            return redirect(reverse("admin:catalog_course_content_lesson", args=[course.pk, lesson.pk]))
        return self._back(course)

    def lesson_action_view(self, request: HttpRequest, object_id, lesson_id: int, action: str) -> HttpResponse:
        course = self._course_for_change(request, object_id)
        lesson = selectors.get_lesson(lesson_id=lesson_id, course=course) if request.method == "POST" else None
        if lesson is None:
            return self._back(course)
        if action in ("up", "down"):
            self._run(
                request, f"Moved {lesson.title} {action}.", services.move_lesson, lesson=lesson, up=action == "up"
            )
        elif action == "delete":
            self._run(request, f"Lesson {lesson.title} deleted.", services.delete_lesson, lesson=lesson)
        return self._back(course, f"chapter-{lesson.chapter_id}")

    def lesson_view(self, request: HttpRequest, object_id, lesson_id: int) -> HttpResponse:
        course = self._course_for_change(request, object_id)
        lesson = selectors.get_lesson(lesson_id=lesson_id, course=course)
        initial = {"title": lesson.title, "kind": lesson.kind, "body": lesson.body, "url": lesson.url}
        form = LessonForm(request.POST or None, request.FILES or None, initial=initial)
        if request.method == "POST" and form.is_valid() and self._save_lesson(request, lesson, form):
            return redirect(request.path)
        return render_desk(
            request,
            "desk/learning/lesson_form.html",
            {
                "course": course,
                "lesson": lesson,
                "form": form,
                "opts": Course._meta,
                "preview_html": mark_safe(render_markdown(lesson.body)),  # noqa: S308 - sanitised by nh3
                "preview_url": reverse("admin:catalog_course_content_preview"),
                "portal_url": f"/lms/courses/{course.name}/learn/{lesson.chapter.position}-{lesson.position}",
            },
            title=f"Lesson: {lesson.title}",
            opts=Course._meta,
        )

    def _save_lesson(self, request: HttpRequest, lesson: Lesson, form: LessonForm) -> bool:
        data = form.cleaned_data
        changes = {name: data[name] for name in ("title", "kind", "body", "url") if name in form.changed_data}
        steps = []
        if changes:
            steps.append((services.update_lesson, {"lesson": lesson, **changes}))
        if data.get("document"):
            steps.append((services.attach_lesson_file, {"lesson": lesson, "upload": data["document"]}))
        if data.get("package"):
            steps.append((services.attach_scorm_package, {"lesson": lesson, "upload": data["package"]}))
        for call, kwargs in steps:
            try:
                call(**kwargs, actor=request.user)
            except DomainError as error:
                form.add_error(None, error.user_message())
                return False
            lesson.refresh_from_db()
        self.message_user(request, "Lesson saved." if steps else "Nothing changed.", messages.SUCCESS)
        return True

    @staticmethod
    @require_POST
    def preview_view(request: HttpRequest) -> HttpResponse:
        """The Markdown of the lesson form as the portal will show it (sanitised)."""
        if not request.user.has_perm("catalog.change_course"):
            raise PermissionDenied("Only Course Creators and Moderators edit course content.")
        source = request.POST.get("body", "")[:PREVIEW_LIMIT]
        return JsonResponse({"html": render_markdown(source)})


# The cohort page: progress per member and course ---------------------------------------------------


def may_read_progress(user) -> bool:
    """Learner names and progress go to roles that read rosters (CONTRACT.md section 10)."""
    return can_read_rosters(user)


def batch_progress_context(request: HttpRequest, batch: Batch) -> dict[str, Any]:
    """For the cohort page's heat table (desk/learning/_batch_progress.html)."""
    if not may_read_progress(request.user):
        return {"progress_table": None}
    table = selectors.get_batch_progress(batch=batch, limit=HEAT_MEMBERS_SHOWN * max(batch.batch_courses.count(), 1))
    return {
        "progress_table": table,
        "progress_shown": len(table.members),
        "progress_url": f"/api/v1/batches/{batch.name}/progress",
    }


def heat_tone(progress: int) -> str:
    if progress >= 100:
        return "done"
    if progress >= 50:
        return "half"
    return "started" if progress > 0 else "none"
