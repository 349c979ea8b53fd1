"""The catalog: courses, cohorts (Batch), their courses and live classes, and LMS Settings."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone as django_tz

from smoothlms.catalog.certificate_text import DEFAULT_BODY, validate_certificate_text
from smoothlms.core.timeutil import local_instant, validate_time_zone

slug_validator_message = "Use lower-case letters, digits and hyphens."


class Course(models.Model):
    name = models.SlugField(max_length=140, unique=True, help_text=slug_validator_message)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    published = models.BooleanField(default=False)
    certificate = models.BooleanField(default=False, help_text="Issue a certificate when a member completes it.")
    validity_months = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="How long a certificate stays valid. Blank: no expiry."
    )
    control_id = models.CharField(max_length=140, blank=True, help_text="Compliance control id, e.g. ISO-27001-A.7.")
    created_at = models.DateTimeField(default=django_tz.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title"]
        verbose_name = "LMS course"
        constraints = [
            models.CheckConstraint(
                condition=Q(validity_months__isnull=True) | Q(validity_months__gte=1),
                name="course_validity_months_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class LateJoinPolicy(models.TextChoices):
    OVERRIDE_ONLY = "override_only", "Only moderators, with a reason, until the end"
    OPEN_UNTIL_END = "open_until_end", "Anyone may join until the end"


class Batch(models.Model):
    """A cohort. Start and end are wall-clock times in the cohort's own time zone."""

    name = models.SlugField(max_length=140, unique=True, help_text=slug_validator_message)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    start_date = models.DateField()
    start_time = models.TimeField()
    end_date = models.DateField()
    end_time = models.TimeField()
    timezone = models.CharField(
        max_length=64,
        validators=[validate_time_zone],
        help_text="IANA name, e.g. Asia/Kolkata. Start and end are in this zone.",
    )
    # Signed columns with check constraints rather than UNSIGNED ones: MariaDB refuses to evaluate
    # an UNSIGNED expression that dips below zero (seat arithmetic) instead of comparing it.
    seat_count = models.IntegerField(
        null=True, blank=True, validators=[MinValueValidator(0)], help_text="Blank: unlimited. 0: no seats."
    )
    seats_taken = models.IntegerField(default=0, editable=False)
    allow_self_enrollment = models.BooleanField(default=False)
    waitlist_enabled = models.BooleanField(
        default=False, help_text="When full, enrolling puts the member on a waitlist (first come, first seated)."
    )
    allow_self_cancel = models.BooleanField(
        default=False, help_text="Members may leave the cohort or its waitlist until it starts."
    )
    published = models.BooleanField(default=False)
    paid_batch = models.BooleanField(default=False)
    amount = models.DecimalField(
        max_digits=12, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(Decimal("0.01"))]
    )
    currency = models.CharField(max_length=3, blank=True)
    courses = models.ManyToManyField(Course, through="BatchCourse", related_name="batches", blank=True)
    confirmation_email_template = models.ForeignKey(
        "notifications.EmailTemplate",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Overrides the template of LMS Settings for this cohort.",
    )
    late_join_policy = models.CharField(
        max_length=16, choices=LateJoinPolicy.choices, default=LateJoinPolicy.OVERRIDE_ONLY
    )
    created_at = models.DateTimeField(default=django_tz.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    certification = models.BooleanField(
        default=False, help_text="Issue a cohort certificate when a member completes every course and assessment."
    )

    class Meta:
        ordering = ["start_date", "start_time", "name"]
        verbose_name = "LMS batch"
        verbose_name_plural = "LMS batches"
        constraints = [
            models.CheckConstraint(
                condition=Q(seat_count__isnull=True) | Q(seats_taken__lte=F("seat_count")),
                name="batch_seats_within_seat_count",
            ),
            models.CheckConstraint(
                condition=Q(seat_count__isnull=True) | Q(seat_count__gte=0), name="batch_seat_count_not_negative"
            ),
            models.CheckConstraint(condition=Q(seats_taken__gte=0), name="batch_seats_taken_not_negative"),
            models.CheckConstraint(
                condition=Q(end_date__gt=F("start_date")) | Q(end_date=F("start_date"), end_time__gte=F("start_time")),
                name="batch_end_not_before_start",
            ),
            models.CheckConstraint(
                condition=Q(paid_batch=False) | (Q(amount__isnull=False) & Q(amount__gt=0) & ~Q(currency="")),
                name="batch_paid_needs_amount_and_currency",
            ),
        ]
        indexes = [models.Index(fields=["published", "start_date"])]

    def __str__(self) -> str:
        return self.title

    @property
    def starts_at(self) -> dt.datetime:
        return local_instant(self.start_date, self.start_time, self.timezone)

    @property
    def ends_at(self) -> dt.datetime:
        return local_instant(self.end_date, self.end_time, self.timezone)

    def has_started(self, *, at: dt.datetime | None = None) -> bool:
        return (at or django_tz.now()) >= self.starts_at

    def has_ended(self, *, at: dt.datetime | None = None) -> bool:
        return (at or django_tz.now()) >= self.ends_at

    @property
    def seats_left(self) -> int | None:
        return None if self.seat_count is None else max(self.seat_count - self.seats_taken, 0)

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        if self.start_date and self.end_date and self.end_date < self.start_date:
            errors.setdefault("end_date", []).append("Batch end date cannot be before the batch start date.")
        elif (
            self.start_date
            and self.start_date == self.end_date
            and self.start_time
            and self.end_time
            and self.end_time < self.start_time
        ):
            errors.setdefault("end_time", []).append("Batch end time cannot be before the batch start time.")
        if self.paid_batch:
            if not self.amount:
                errors.setdefault("amount", []).append("Amount and currency are required for paid batches.")
            if not self.currency:
                errors.setdefault("currency", []).append("Amount and currency are required for paid batches.")
        if self.currency and (len(self.currency) != 3 or not self.currency.isalpha()):
            errors.setdefault("currency", []).append("Use a three-letter ISO 4217 code, e.g. EUR.")
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs):
        if self.currency:
            self.currency = self.currency.upper()
        super().save(*args, **kwargs)


class BatchCourse(models.Model):
    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="batch_courses")
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="batch_courses")
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["batch", "position", "id"]
        verbose_name = "cohort course"
        constraints = [models.UniqueConstraint(fields=["batch", "course"], name="batchcourse_one_per_course")]

    def __str__(self) -> str:
        return f"{self.batch.name}: {self.course.name}"


class LiveClass(models.Model):
    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="live_classes")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    date = models.DateField()
    time = models.TimeField()
    duration = models.PositiveIntegerField(help_text="Minutes.", validators=[MinValueValidator(1)], default=60)
    timezone = models.CharField(max_length=64, validators=[validate_time_zone])
    join_url = models.URLField(blank=True)
    sequence = models.PositiveIntegerField(
        default=0, editable=False, help_text="Raised each time the class moves (calendar updates)."
    )
    created_at = models.DateTimeField(default=django_tz.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["date", "time", "id"]
        verbose_name = "live class"
        verbose_name_plural = "live classes"
        constraints = [models.CheckConstraint(condition=Q(duration__gte=1), name="liveclass_duration_positive")]

    def __str__(self) -> str:
        return self.title

    @property
    def starts_at(self) -> dt.datetime:
        return local_instant(self.date, self.time, self.timezone)

    @property
    def ends_at(self) -> dt.datetime:
        return self.starts_at + dt.timedelta(minutes=self.duration)


class LMSSettings(models.Model):
    """One row (pk 1): site-wide settings edited in the desk."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    batch_confirmation_template = models.ForeignKey(
        "notifications.EmailTemplate",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="Batch Confirmation Email Template",
    )
    waitlist_promotion_template = models.ForeignKey(
        "notifications.EmailTemplate",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="Waitlist Seat Email Template",
        help_text="Sent instead of the confirmation to a member who got a seat from the waitlist.",
    )
    cancellation_template = models.ForeignKey(
        "notifications.EmailTemplate",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="Cancellation Email Template",
        help_text="Sent to a member whose enrollment or waitlist place is cancelled, for any reason.",
    )
    send_confirmation_emails = models.BooleanField(default=True)
    # On by default (the guide: enroll only once the password is set, to avoid bounced emails).
    hold_emails_until_password_set = models.BooleanField(
        default=True, help_text="Send cohort confirmations only once the learner has set a password."
    )
    reminder_hour = models.PositiveSmallIntegerField(
        default=9, help_text="Local hour (cohort's zone) of the day before start when reminders go out."
    )
    updated_at = models.DateTimeField(auto_now=True)
    # Certificates: the template of the PDF, and recertification.
    certificate_title = models.CharField(max_length=200, default="Certificate of Completion")
    certificate_body = models.TextField(
        default=DEFAULT_BODY,
        validators=[validate_certificate_text],
        help_text="Variables: {{ member_name }}, {{ course_title }}, {{ batch_title }}, {{ issue_date }}, "
        "{{ expiry_date }}, {{ certificate_name }}.",
    )
    certificate_signatory_name = models.CharField(max_length=200, blank=True, help_text="Who signs, e.g. Asha Rao.")
    certificate_signatory_title = models.CharField(
        max_length=200, blank=True, help_text="Their title, e.g. Head of Learning & Development."
    )
    certificate_logo = models.ImageField(
        upload_to="certificates/logo/",
        blank=True,
        validators=[FileExtensionValidator(["png", "jpg", "jpeg"])],
        help_text="PNG or JPEG, shown at the top.",
    )
    recertify_days_before = models.PositiveSmallIntegerField(
        default=30,
        validators=[MaxValueValidator(366)],
        help_text="Days before a certificate expires when its holder gets a new training assignment.",
    )

    class Meta:
        verbose_name = "LMS settings"
        verbose_name_plural = "LMS settings"
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="lmssettings_single_row"),
            models.CheckConstraint(condition=Q(reminder_hour__lte=23), name="lmssettings_reminder_hour_valid"),
            models.CheckConstraint(
                condition=Q(recertify_days_before__lte=366), name="lmssettings_recertify_days_before_valid"
            ),
        ]

    def __str__(self) -> str:
        return "LMS Settings"

    @classmethod
    def load(cls) -> LMSSettings:
        obj, _ = cls.objects.get_or_create(pk=1)
        return obj


# Course content: chapters and lessons -----------------------------------------------------------
# Positions are 1-based and contiguous within their parent (the portal's /learn/<chapter>-<lesson>
# paths use them); the learning services keep them so under a lock on the course.


class Chapter(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="chapters")
    title = models.CharField(max_length=200)
    position = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=django_tz.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["course", "position"]
        verbose_name = "chapter"
        constraints = [
            models.UniqueConstraint(fields=["course", "position"], name="chapter_position_unique_per_course"),
            models.CheckConstraint(condition=Q(position__gte=1), name="chapter_position_positive"),
        ]

    def __str__(self) -> str:
        return self.title


class LessonKind(models.TextChoices):
    TEXT = "text", "Text (Markdown)"
    VIDEO = "video", "Video (a URL)"
    FILE = "file", "File (a document)"
    SCORM = "scorm", "SCORM package"
    QUIZ = "quiz", "Quiz"


class ScormVersion(models.TextChoices):
    SCORM_12 = "1.2", "SCORM 1.2"
    SCORM_2004 = "2004", "SCORM 2004"


def lesson_file_path(lesson: Lesson, filename: str) -> str:
    return f"lessons/{lesson.chapter.course.name}/{filename}"


class Lesson(models.Model):
    """One step of a course. `body` is Markdown (text lessons, and an introduction for the others);
    a SCORM lesson's package is extracted under MEDIA_ROOT/scorm/<course>/<lesson id>/."""

    chapter = models.ForeignKey(Chapter, on_delete=models.PROTECT, related_name="lessons")
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=8, choices=LessonKind.choices, default=LessonKind.TEXT)
    position = models.PositiveIntegerField()
    body = models.TextField(blank=True, help_text="Markdown.")
    url = models.URLField(max_length=500, blank=True, help_text="Video lessons: the video's address.")
    file = models.FileField(upload_to=lesson_file_path, max_length=300, blank=True)
    scorm_version = models.CharField(max_length=4, choices=ScormVersion.choices, blank=True)
    scorm_launch = models.CharField(
        max_length=500, blank=True, help_text="The launch file inside the package (from its manifest)."
    )
    scorm_package_name = models.CharField(max_length=255, blank=True)
    scorm_uploaded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=django_tz.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["chapter", "position"]
        verbose_name = "lesson"
        constraints = [
            models.UniqueConstraint(fields=["chapter", "position"], name="lesson_position_unique_per_chapter"),
            models.CheckConstraint(condition=Q(position__gte=1), name="lesson_position_positive"),
            models.CheckConstraint(condition=Q(kind__in=LessonKind.values), name="lesson_kind_valid"),
            models.CheckConstraint(
                condition=Q(scorm_version="") | Q(scorm_version__in=ScormVersion.values),
                name="lesson_scorm_version_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.title
