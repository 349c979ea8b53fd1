"""Desk pages of assessments: quizzes and their questions, assignments, cohort assessments (written
through assessments.services), quiz submissions (read only, never changed or deleted, with the
print format and a Print button), and assignment submissions (graded through the service)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone

from smoothlms.assessments.models import (
    Assignment,
    AssignmentSubmission,
    BatchAssessment,
    GradeStatus,
    Option,
    Question,
    Quiz,
    QuizSubmission,
)
from smoothlms.assessments.pdf import submissions_zip
from smoothlms.assessments.selectors import can_read_submissions, list_batch_submissions, submission_print
from smoothlms.assessments.services import (
    QUIZ_FIELDS,
    OptionSpec,
    QuestionSpec,
    QuizFields,
    add_batch_assessment,
    create_assignment,
    create_quiz,
    grade_assignment_submission,
    resend_assignment_result,
    save_question,
    update_assignment,
    update_quiz,
)
from smoothlms.catalog.models import Batch
from smoothlms.core.errors import DomainError
from smoothlms.desk.admin.base import DeskAdmin, DeskView, ServiceSavedAdmin, adopt
from smoothlms.desk.filters import DateRangeFilter

TEMPLATES = "desk/assessments"


# Quizzes and questions ------------------------------------------------------------------------


@admin.register(Quiz)
class QuizAdmin(ServiceSavedAdmin):
    list_display = ["title", "course", "questions_count", "passing_percentage", "max_attempts", "time_limit_minutes"]
    list_select_related = ["course"]
    list_filter = ["course"]
    search_fields = ["title"]
    fields = list(QUIZ_FIELDS)
    change_form_template = f"{TEMPLATES}/quiz_change_form.html"

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(questions_total=Count("questions"))

    @admin.display(description="Questions", ordering="questions_total")
    def questions_count(self, obj: Quiz) -> int:
        return obj.questions_total

    def has_delete_permission(self, request, obj=None):
        if obj is not None and (obj.submissions.exists() or obj.attempts.exists()):
            return False  # evidence points at it
        return super().has_delete_permission(request, obj)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        quiz = self.get_object(request, object_id)
        questions = list(quiz.questions.order_by("position", "id").prefetch_related("options")) if quiz else []
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), "questions": questions})

    def save_related(self, request, form, formsets, change):
        values = {name: form.cleaned_data[name] for name in QUIZ_FIELDS}
        if change:
            changes = {name: values[name] for name in form.changed_data if name in values}
            self.call_service(update_quiz, quiz=form.instance, actor=request.user, **changes)
        else:
            quiz = self.call_service(create_quiz, values=QuizFields(**values), questions=[], actor=request.user)
            adopt(form.instance, quiz)


class OptionForm(forms.ModelForm):
    class Meta:
        model = Option
        fields = ["text", "correct", "position"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["position"].required = False  # blank: in the order listed


class OptionInline(admin.TabularInline):
    model = Option
    form = OptionForm
    extra = 3
    fields = ["text", "correct", "position"]


class QuestionForm(forms.ModelForm):
    accepted = forms.CharField(
        label="Accepted answers",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Text questions: one accepted answer per line (case and surrounding spaces do not matter).",
    )

    class Meta:
        model = Question
        fields = ["quiz", "position", "text", "kind", "marks"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["accepted"] = "\n".join(self.instance.accepted_answers)


@admin.register(Question)
class QuestionAdmin(ServiceSavedAdmin):
    form = QuestionForm
    inlines = [OptionInline]
    list_display = ["text", "quiz", "kind", "marks", "position"]
    list_select_related = ["quiz"]
    list_filter = ["kind"]
    search_fields = ["text", "quiz__title"]
    raw_id_fields = ["quiz"]
    change_form_template = "desk/change_form.html"

    def get_changeform_initial_data(self, request):
        return {**super().get_changeform_initial_data(request), "kind": "single"}

    def save_related(self, request, form, formsets, change):
        data = form.cleaned_data
        options = []
        for formset in formsets:
            for item in formset.forms:
                cleaned = getattr(item, "cleaned_data", None) or {}
                if cleaned.get("text") and not cleaned.get("DELETE"):
                    options.append(
                        (
                            cleaned.get("position") or 0,
                            len(options),
                            OptionSpec(
                                text=cleaned["text"],
                                correct=bool(cleaned.get("correct")),
                                id=cleaned["id"].pk if cleaned.get("id") else None,
                            ),
                        )
                    )
        spec = QuestionSpec(
            text=data["text"],
            kind=data["kind"],
            marks=data["marks"],
            answers=[line for line in data.get("accepted", "").splitlines() if line.strip()],
            options=[option for _, _, option in sorted(options, key=lambda o: (o[0], o[1]))],
        )
        question = self.call_service(
            save_question,
            quiz=data["quiz"],
            spec=spec,
            position=data["position"],
            question=form.instance if change else None,
            actor=request.user,
        )
        adopt(form.instance, question)
        for formset in formsets:
            formset.save(commit=False)  # writes nothing: lists the changes for the admin's history


# Assignments and cohort assessments -----------------------------------------------------------


@admin.register(Assignment)
class AssignmentAdmin(ServiceSavedAdmin):
    list_display = ["title", "kind", "course", "allowed_extensions", "max_file_mb"]
    list_select_related = ["course"]
    list_filter = ["kind"]
    search_fields = ["title"]
    fields = ["title", "kind", "instructions", "course", "allowed_extensions", "max_file_mb"]
    change_form_template = "desk/change_form.html"

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.submissions.exists():
            return False
        return super().has_delete_permission(request, obj)

    def save_related(self, request, form, formsets, change):
        values = {name: form.cleaned_data[name] for name in self.fields}
        if change:
            changes = {name: values[name] for name in form.changed_data if name in values}
            self.call_service(update_assignment, assignment=form.instance, actor=request.user, **changes)
        else:
            adopt(form.instance, self.call_service(create_assignment, actor=request.user, **values))


class BatchAssessmentForm(forms.ModelForm):
    class Meta:
        model = BatchAssessment
        fields = ["batch", "quiz", "assignment", "due_date", "position"]


@admin.register(BatchAssessment)
class BatchAssessmentAdmin(ServiceSavedAdmin):
    form = BatchAssessmentForm
    list_display = ["batch", "kind", "title", "due_date", "position"]
    list_select_related = ["batch", "quiz", "assignment"]
    list_filter = ["batch"]
    autocomplete_fields = ["batch"]
    change_form_template = "desk/change_form.html"

    def get_readonly_fields(self, request, obj=None):
        return ["batch", "quiz", "assignment"] if obj else []

    def save_related(self, request, form, formsets, change):
        data = form.cleaned_data
        if change:  # only the due date and the position change: no rule depends on them
            BatchAssessment.objects.filter(pk=form.instance.pk).update(
                due_date=data["due_date"], position=data["position"]
            )
            return
        created = self.call_service(
            add_batch_assessment,
            batch=data["batch"],
            quiz=data.get("quiz"),
            assignment=data.get("assignment"),
            due_date=data.get("due_date"),
            actor=request.user,
        )
        adopt(form.instance, created)


# Quiz submissions: evidence, read only --------------------------------------------------------


@admin.register(QuizSubmission)
class QuizSubmissionAdmin(DeskAdmin):
    list_display = ["reference", "member", "quiz_title", "attempt", "percentage", "passed", "batch", "submitted_at"]
    list_select_related = ["member", "batch"]
    list_filter = ["passed", "source", "batch", ("submitted_at", DateRangeFilter)]
    search_fields = ["member__email", "member__full_name", "quiz_title"]
    date_hierarchy = "submitted_at"
    list_per_page = 50
    export_kind = "quiz-submissions"

    @admin.display(description="Submission", ordering="pk")
    def reference(self, obj: QuizSubmission) -> str:
        return obj.name

    # No add, no change, no delete: a submission is evidence. Reading needs the view permission.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        return {}

    def desk_views(self) -> list[DeskView]:
        return [*super().desk_views(), DeskView("zip", self.zip_view, "zip")]

    def change_view(self, request: HttpRequest, object_id, form_url="", extra_context=None) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        submission = get_object_or_404(QuizSubmission.objects.select_related("member", "course", "batch"), pk=object_id)
        return render(
            request,
            f"{TEMPLATES}/quiz_submission.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "original": submission,
                "title": f"Quiz submission {submission.name}",
                "print": submission_print(submission),
                "pdf_url": f"/api/v1/quiz-submissions/{submission.pk}.pdf",
            },
        )

    def zip_view(self, request: HttpRequest) -> HttpResponse:
        """All quiz submissions of one cohort as PDFs in one ZIP, streamed."""
        if not (self.has_view_permission(request) and can_read_submissions(request.user)):
            raise PermissionDenied
        batch = get_object_or_404(Batch, name=request.GET.get("batch", ""))
        response = StreamingHttpResponse(
            submissions_zip(list_batch_submissions(batch=batch)), content_type="application/zip"
        )
        response["Content-Disposition"] = (
            f'attachment; filename="{batch.name}-quiz-submissions-{timezone.now():%Y%m%d-%H%M}.zip"'
        )
        return response


# Assignment submissions: graded through the service --------------------------------------------


class GradeForm(forms.Form):
    result = forms.ChoiceField(choices=[("passed", "Passed"), ("failed", "Failed")], widget=forms.RadioSelect)
    comment = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 4}))


@admin.register(AssignmentSubmission)
class AssignmentSubmissionAdmin(DeskAdmin):
    list_display = [
        "reference",
        "member",
        "assignment",
        "batch",
        "status",
        "submitted_at",
        "graded_by",
        "result_email_status",
    ]
    list_select_related = ["member", "assignment", "batch", "graded_by"]
    list_filter = ["status", "result_email_status", "batch", "assignment"]
    search_fields = ["member__email", "member__full_name", "assignment__title"]
    list_per_page = 50
    actions = ["resend_result"]

    @admin.display(description="Submission", ordering="pk")
    def reference(self, obj: AssignmentSubmission) -> str:
        return obj.name

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.action(description="Email the result again", permissions=["change"])
    def resend_result(self, request, queryset):
        done = 0
        for submission in queryset.exclude(status=GradeStatus.SUBMITTED):
            try:
                resend_assignment_result(submission=submission, actor=request.user)
                done += 1
            except DomainError as error:
                self.message_user(request, f"{submission.name}: {error.user_message()}", messages.ERROR)
        self.message_user(request, f"{done} result email(s) queued.", messages.SUCCESS)

    def get_urls(self):
        return [
            path(
                "<int:pk>/file/",
                self.admin_site.admin_view(self.file_view),
                name="assessments_assignmentsubmission_file",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request: HttpRequest, object_id, form_url="", extra_context=None) -> HttpResponse:
        """The submission with its answer, and the grade form (graders, once)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        submission = get_object_or_404(
            self.get_queryset(request).select_related("member", "assignment", "batch", "graded_by"), pk=object_id
        )
        can_grade = self.has_change_permission(request) and submission.status == GradeStatus.SUBMITTED
        form = GradeForm(request.POST or None) if can_grade else None
        if request.method == "POST" and form is not None and form.is_valid():
            try:
                grade_assignment_submission(
                    submission=submission,
                    passed=form.cleaned_data["result"] == "passed",
                    comment=form.cleaned_data["comment"],
                    actor=request.user,
                )
            except DomainError as error:
                self.message_user(request, error.user_message(), messages.ERROR)
            else:
                self.message_user(request, f"{submission.name} graded; the learner will be emailed.", messages.SUCCESS)
            return redirect(reverse("admin:assessments_assignmentsubmission_change", args=[submission.pk]))
        return render(
            request,
            f"{TEMPLATES}/assignment_submission.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "original": submission,
                "title": f"Assignment submission {submission.name}",
                "form": form,
            },
        )

    def file_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        submission = get_object_or_404(AssignmentSubmission, pk=pk)
        if not submission.file:
            raise Http404("This submission has no file.")
        # An attachment, never shown inline: a learner's file must not run in the desk's origin.
        return FileResponse(submission.file.open("rb"), as_attachment=True, filename=submission.file_name)
