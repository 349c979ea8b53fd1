"""Assessments: quizzes with their questions and options, the attempts and immutable submissions of
learners, assignments graded pass/fail by evaluators, and the quizzes and assignments a cohort's
members must pass (BatchAssessment).

A quiz submission is evidence: it stores, per question, the text and options as the learner saw
them, the learner's answer, the correct answer and the marks given, so later edits of the quiz
never change what it says. Neither it nor its answers can be changed or deleted through the ORM
(save of an existing row, queryset update and delete all refuse); a purge anonymises the person
(the User row) and leaves the answers as they were.
"""

from __future__ import annotations

import uuid
from pathlib import PurePath

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone


class QuestionKind(models.TextChoices):
    SINGLE = "single", "One option"
    MULTIPLE = "multiple", "Several options"
    TEXT = "text", "Text answer"


class SubmissionSource(models.TextChoices):
    TAKEN = "taken", "Taken by the learner"
    # Rows typed into the desk before submissions were recorded question by question (kept as evidence).
    RECORDED = "recorded", "Recorded in the desk"


class AssignmentKind(models.TextChoices):
    TEXT = "text", "Text answer"
    FILE = "file", "File upload"


class GradeStatus(models.TextChoices):
    SUBMITTED = "submitted", "Awaiting grade"
    PASSED = "passed", "Passed"
    FAILED = "failed", "Failed"


class ResultEmailStatus(models.TextChoices):
    NONE = "", "Not graded yet"
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"  # claimed by a worker; left so only if it died mid-send (resend from the desk)
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


# Quizzes --------------------------------------------------------------------------------------


class Quiz(models.Model):
    title = models.CharField(max_length=200)
    course = models.ForeignKey(
        "catalog.Course",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="quizzes",
        help_text="The course this quiz belongs to, if any.",
    )
    lesson = models.OneToOneField(
        "catalog.Lesson",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="quiz",
        help_text="The quiz lesson this quiz is, if any: a passing submission completes it.",
    )
    # Signed columns with check constraints (MariaDB cannot compare UNSIGNED arithmetic that dips below zero).
    passing_percentage = models.IntegerField(default=70, help_text="0-100.")
    max_attempts = models.IntegerField(default=0, help_text="0: unlimited.")
    shuffle_questions = models.BooleanField(default=False)
    shuffle_options = models.BooleanField(default=False)
    time_limit_minutes = models.IntegerField(
        null=True, blank=True, help_text="Blank: no limit. Counted on the server from each attempt's start."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title", "id"]
        verbose_name = "LMS quiz"
        verbose_name_plural = "LMS quizzes"
        constraints = [
            models.CheckConstraint(
                condition=Q(passing_percentage__gte=0) & Q(passing_percentage__lte=100),
                name="quiz_passing_percentage_range",
            ),
            models.CheckConstraint(condition=Q(max_attempts__gte=0), name="quiz_max_attempts_not_negative"),
            models.CheckConstraint(
                condition=Q(time_limit_minutes__isnull=True) | Q(time_limit_minutes__gte=1),
                name="quiz_time_limit_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Question(models.Model):
    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="questions")
    position = models.IntegerField(default=0)
    text = models.TextField()
    kind = models.CharField(max_length=16, choices=QuestionKind.choices, default=QuestionKind.SINGLE)
    marks = models.DecimalField(max_digits=6, decimal_places=2, default=1)
    accepted_answers = models.JSONField(
        default=list,
        blank=True,
        help_text="Text questions: the answers accepted (case and surrounding spaces do not matter).",
    )

    class Meta:
        ordering = ["quiz", "position", "id"]
        verbose_name = "quiz question"
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=QuestionKind.values), name="question_kind_valid"),
            models.CheckConstraint(condition=Q(marks__gt=0), name="question_marks_positive"),
        ]

    def __str__(self) -> str:
        return self.text[:80]


class Option(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="options")
    position = models.IntegerField(default=0)
    text = models.CharField(max_length=500)
    correct = models.BooleanField(default=False)

    class Meta:
        ordering = ["question", "position", "id"]
        verbose_name = "question option"

    def __str__(self) -> str:
        return self.text


class QuizAttempt(models.Model):
    """One start of a quiz by a learner: its number, its deadline (with a time limit) and the order
    of questions and options shown. Every attempt counts against max_attempts, submitted or not:
    an attempt left to expire is a used attempt."""

    quiz = models.ForeignKey(Quiz, on_delete=models.PROTECT, related_name="attempts")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="quiz_attempts")
    number = models.IntegerField()
    started_at = models.DateTimeField(default=timezone.now)
    deadline = models.DateTimeField(null=True, blank=True)
    # [{"question": id, "options": [option ids]}], in the order shown.
    order = models.JSONField(default=list)

    class Meta:
        ordering = ["quiz", "member", "number"]
        verbose_name = "quiz attempt"
        constraints = [
            # The last line behind the attempt count taken under the learner's row lock.
            models.UniqueConstraint(fields=["quiz", "member", "number"], name="quiz_attempt_one_per_number"),
            models.CheckConstraint(condition=Q(number__gte=1), name="quiz_attempt_number_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.quiz_id}: attempt {self.number} by {self.member_id}"


class ImmutableQuerySet(models.QuerySet):
    """Evidence rows: inserted once, never updated or deleted through the ORM."""

    def update(self, **kwargs):
        raise ValueError(f"{self.model._meta.verbose_name_plural} are immutable.")

    def delete(self):
        raise ValueError(f"{self.model._meta.verbose_name_plural} are immutable.")

    delete.queryset_only = True  # type: ignore[attr-defined]  # as Django's: no Model.objects.delete()


class ImmutableModel(models.Model):
    objects = ImmutableQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValueError(f"{self._meta.verbose_name_plural} are immutable.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError(f"{self._meta.verbose_name_plural} are immutable.")


class QuizSubmission(ImmutableModel):
    quiz = models.ForeignKey(Quiz, on_delete=models.PROTECT, related_name="submissions")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="quiz_submissions")
    attempt = models.IntegerField(help_text="1 for the first attempt.")
    started_attempt = models.OneToOneField(
        QuizAttempt, null=True, blank=True, on_delete=models.PROTECT, related_name="submission"
    )
    source = models.CharField(max_length=16, choices=SubmissionSource.choices, default=SubmissionSource.TAKEN)
    quiz_title = models.CharField(max_length=200, help_text="As shown.")
    course = models.ForeignKey(
        "catalog.Course", null=True, blank=True, on_delete=models.PROTECT, related_name="quiz_submissions"
    )
    batch = models.ForeignKey(
        "catalog.Batch",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The cohort the learner took it in.",
    )
    passing_percentage = models.IntegerField(null=True, blank=True, help_text="As it was when submitted.")
    time_limit_minutes = models.IntegerField(null=True, blank=True, help_text="As it was when started.")
    score = models.DecimalField(max_digits=9, decimal_places=2)
    score_out_of = models.DecimalField(max_digits=9, decimal_places=2)
    percentage = models.DecimalField(max_digits=5, decimal_places=2)
    passed = models.BooleanField(default=False)
    question_order = models.JSONField(default=list, help_text="Question ids in the order shown.")
    started_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(default=timezone.now)
    time_zone = models.CharField(max_length=64, default="UTC", help_text="The learner's zone when submitted.")
    recorded_answers = models.JSONField(
        null=True, blank=True, help_text="Recorded rows only: the answers as typed into the desk."
    )

    class Meta:
        ordering = ["-submitted_at", "-id"]
        verbose_name = "LMS quiz submission"
        constraints = [
            models.UniqueConstraint(fields=["quiz", "member", "attempt"], name="quiz_submission_one_per_attempt"),
            models.CheckConstraint(condition=Q(attempt__gte=1), name="quiz_submission_attempt_positive"),
            models.CheckConstraint(
                condition=Q(score__gte=0) & Q(score__lte=F("score_out_of")), name="quiz_submission_score_in_range"
            ),
            models.CheckConstraint(
                condition=Q(percentage__gte=0) & Q(percentage__lte=100), name="quiz_submission_percentage_range"
            ),
            models.CheckConstraint(
                condition=Q(source__in=SubmissionSource.values), name="quiz_submission_source_valid"
            ),
        ]
        indexes = [models.Index(fields=["member", "quiz"]), models.Index(fields=["submitted_at"])]

    def __str__(self) -> str:
        return f"{self.quiz_title}: attempt {self.attempt} by {self.member_id}"

    @property
    def name(self) -> str:
        return f"QS-{self.pk:06d}" if self.pk else ""


class QuizAnswer(ImmutableModel):
    """One question of a submission as the learner saw and answered it."""

    submission = models.ForeignKey(QuizSubmission, on_delete=models.PROTECT, related_name="answers")
    position = models.IntegerField(help_text="1-based, in the order shown.")
    # The question's id then, not a foreign key: editing or deleting the question later must not touch this row.
    question_ref = models.BigIntegerField(null=True, blank=True)
    question_text = models.TextField()
    kind = models.CharField(max_length=16, choices=QuestionKind.choices)
    options = models.JSONField(default=list, help_text='[{"id", "text", "correct"}] in the order shown.')
    selected = models.JSONField(default=list, help_text="The option ids the learner chose.")
    answer = models.TextField(blank=True, help_text="The learner's answer as text (chosen options joined by '; ').")
    correct_answer = models.TextField(blank=True)
    marks = models.DecimalField(max_digits=6, decimal_places=2)
    marks_awarded = models.DecimalField(max_digits=6, decimal_places=2)

    class Meta:
        ordering = ["submission", "position"]
        verbose_name = "quiz answer"
        constraints = [
            models.UniqueConstraint(fields=["submission", "position"], name="quiz_answer_one_per_position"),
            models.CheckConstraint(
                condition=Q(marks_awarded__gte=0) & Q(marks_awarded__lte=F("marks")), name="quiz_answer_marks_in_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.submission_id} #{self.position}"


# Assignments ----------------------------------------------------------------------------------


DEFAULT_EXTENSIONS = "pdf,docx,odt,xlsx,pptx,txt,png,jpg,jpeg"


class Assignment(models.Model):
    title = models.CharField(max_length=200)
    instructions = models.TextField(blank=True)
    kind = models.CharField(max_length=16, choices=AssignmentKind.choices, default=AssignmentKind.TEXT)
    course = models.ForeignKey(
        "catalog.Course", null=True, blank=True, on_delete=models.PROTECT, related_name="assignments"
    )
    allowed_extensions = models.CharField(
        max_length=200,
        default=DEFAULT_EXTENSIONS,
        blank=True,
        help_text="File assignments: comma-separated, e.g. pdf,docx.",
    )
    max_file_mb = models.IntegerField(default=10, help_text="File assignments: the largest file accepted, in MB.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title", "id"]
        verbose_name = "LMS assignment"
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=AssignmentKind.values), name="assignment_kind_valid"),
            models.CheckConstraint(
                condition=Q(max_file_mb__gte=1) & Q(max_file_mb__lte=200), name="assignment_max_file_mb_range"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def extensions(self) -> list[str]:
        return [part.strip().lower().lstrip(".") for part in self.allowed_extensions.split(",") if part.strip()]


def assignment_upload_to(instance: AssignmentSubmission, filename: str) -> str:
    # A random folder per file: names typed by learners never collide or guess each other.
    return f"assignments/{instance.assignment_id}/{uuid.uuid4().hex}/{PurePath(filename).name}"


class AssignmentSubmission(models.Model):
    """A learner's answer to an assignment; its content never changes, its grade is given once."""

    assignment = models.ForeignKey(Assignment, on_delete=models.PROTECT, related_name="submissions")
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assignment_submissions"
    )
    batch = models.ForeignKey("catalog.Batch", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(blank=True)
    file = models.FileField(upload_to=assignment_upload_to, max_length=300, blank=True)
    file_name = models.CharField(max_length=255, blank=True)
    file_size = models.BigIntegerField(null=True, blank=True)
    submitted_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=16, choices=GradeStatus.choices, default=GradeStatus.SUBMITTED)
    graded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    graded_at = models.DateTimeField(null=True, blank=True)
    comment = models.TextField(blank=True)
    # The outbox of the result email: pending when graded, then sent or failed.
    result_email_status = models.CharField(max_length=16, choices=ResultEmailStatus.choices, blank=True, default="")
    result_email_sent_at = models.DateTimeField(null=True, blank=True)
    result_email_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        verbose_name = "LMS assignment submission"
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=GradeStatus.values), name="assignment_submission_status_valid"
            ),
            models.CheckConstraint(
                condition=(Q(status=GradeStatus.SUBMITTED) & Q(graded_at__isnull=True))
                | (~Q(status=GradeStatus.SUBMITTED) & Q(graded_at__isnull=False)),
                name="assignment_submission_graded_when_passed_or_failed",
            ),
            models.CheckConstraint(condition=~Q(text="") | ~Q(file=""), name="assignment_submission_has_answer"),
            models.CheckConstraint(
                condition=Q(result_email_status__in=ResultEmailStatus.values),
                name="assignment_submission_email_status_valid",
            ),
        ]
        indexes = [models.Index(fields=["member", "assignment"]), models.Index(fields=["status"])]

    def __str__(self) -> str:
        return f"{self.assignment_id} by {self.member_id} ({self.status})"

    @property
    def name(self) -> str:
        return f"AS-{self.pk:06d}" if self.pk else ""


# Cohort assessments ---------------------------------------------------------------------------


class BatchAssessment(models.Model):
    """A quiz or an assignment the members of a cohort must pass, with an optional due date (a date
    in the cohort's time zone)."""

    batch = models.ForeignKey("catalog.Batch", on_delete=models.CASCADE, related_name="assessments")
    quiz = models.ForeignKey(Quiz, null=True, blank=True, on_delete=models.PROTECT, related_name="batch_links")
    assignment = models.ForeignKey(
        Assignment, null=True, blank=True, on_delete=models.PROTECT, related_name="batch_links"
    )
    due_date = models.DateField(null=True, blank=True)
    position = models.IntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["batch", "position", "id"]
        verbose_name = "cohort assessment"
        constraints = [
            models.CheckConstraint(
                condition=(Q(quiz__isnull=False) & Q(assignment__isnull=True))
                | (Q(quiz__isnull=True) & Q(assignment__isnull=False)),
                name="batch_assessment_quiz_or_assignment",
            ),
            # NULLs are distinct on every database, so these hold for the side that is set.
            models.UniqueConstraint(fields=["batch", "quiz"], name="batch_assessment_one_per_quiz"),
            models.UniqueConstraint(fields=["batch", "assignment"], name="batch_assessment_one_per_assignment"),
        ]

    def __str__(self) -> str:
        return f"{self.batch_id}: {self.quiz or self.assignment}"

    @property
    def kind(self) -> str:
        return "quiz" if self.quiz_id else "assignment"

    @property
    def title(self) -> str:
        return (self.quiz or self.assignment).title
