"""Writes on training: mandatory course assignments with due dates, reminders, extensions, completions,
certificates."""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Min, Q
from django.utils import timezone
from django.utils.module_loading import import_string

from smoothlms.catalog.models import Batch, BatchCourse, Course
from smoothlms.core.audit import record_event
from smoothlms.core.bulk import insert_rows
from smoothlms.core.db import chunked, select_for_update
from smoothlms.core.models import EventType
from smoothlms.enrollment.errors import UserDisabled
from smoothlms.enrollment.models import CourseEnrollment, EnrollmentStatus
from smoothlms.people.models import User
from smoothlms.training import tasks
from smoothlms.training.dates import add_months
from smoothlms.training.errors import (
    AssignmentNotOpen,
    CertificateNotOffered,
    CertificationNotOffered,
    CourseNotCompleted,
    DueDateInPast,
    DueDateNotLater,
    DueDateReasonRequired,
    DueDateTaken,
    NoCourses,
    NothingToCertify,
)
from smoothlms.training.locks import lock_assignments
from smoothlms.training.models import AssignmentStatus, Certificate, TrainingAssignment

ASSIGN_CHUNK = 2000


@dataclass
class AssignResult:
    assigned: int = 0
    skipped: int = 0


def assign_training(
    *,
    user_ids: Sequence[int],
    courses: Sequence[Course],
    due_date: dt.date,
    actor: User | None,
    assigned_by_rule: str = "",
    allow_past_due_date: bool = False,
    chunk_size: int = ASSIGN_CHUNK,
    progress: Callable[[int], None] | None = None,
) -> AssignResult:
    """Assign each course to each user, due on `due_date`.

    Rules: at least one course; the due date is not in the past (onboarding rules may allow it
    for late-recorded joiners); a user who already has an open (assigned) assignment of the course,
    or any assignment of it with this due date, is skipped, so running it again assigns nothing.
    Users and existing assignments are read per chunk in bulk; each chunk is one transaction.
    Side effects: one audit event per course and chunk with the count assigned. `progress` is
    called with the number of users done after each chunk."""
    if not courses:
        raise NoCourses()
    if not allow_past_due_date and due_date < timezone.localdate():
        raise DueDateInPast(due_date=due_date.isoformat())
    result = AssignResult()
    unique_ids = list(dict.fromkeys(user_ids))
    for chunk in chunked(unique_ids, chunk_size):
        with transaction.atomic(durable=True):
            _assign_chunk(chunk, courses, due_date, actor, assigned_by_rule, result)
        if progress:
            progress(len(chunk))
    return result


def _assign_chunk(
    user_ids: list[int],
    courses: Sequence[Course],
    due_date: dt.date,
    actor: User | None,
    rule: str,
    result: AssignResult,
) -> None:
    now = timezone.now()
    for course in courses:
        have = set(
            TrainingAssignment.objects.filter(course=course, user_id__in=user_ids)
            .filter(Q(status=AssignmentStatus.ASSIGNED) | Q(due_date=due_date))
            .values_list("user_id", flat=True)
        )
        rows = [
            {
                "user_id": user_id,
                "course_id": course.pk,
                "due_date": due_date,
                "assigned_by_rule": rule,
                "assigned_by_id": actor.pk if actor else None,
                "created_at": now,
                "updated_at": now,
            }
            for user_id in user_ids
            if user_id not in have
        ]
        # ignore_conflicts: a concurrent run that inserted the same (user, course, due date) first
        # already did what we wanted; the unique constraint decides.
        insert_rows(TrainingAssignment, rows, ignore_conflicts=True)
        result.assigned += len(rows)
        result.skipped += len(user_ids) - len(rows)
        if rows:
            record_event(
                EventType.TRAINING_ASSIGNED,
                actor=actor,
                source="hr_rule" if rule else "",
                after={"course": course.name, "due_date": due_date.isoformat(), "assigned": len(rows), "rule": rule},
            )


def complete_assignments_for(*, user: User, course: Course, at: dt.datetime) -> int:
    """Close `user`'s open (assigned) training assignments of `course`: status completed at `at`.
    Called when the user's course enrollment reaches 100%, inside that transaction (no transaction of
    its own). Returns how many were closed; closed or cancelled ones are left as they are."""
    return TrainingAssignment.objects.filter(user=user, course=course, status=AssignmentStatus.ASSIGNED).update(
        status=AssignmentStatus.COMPLETED, completed_at=at, updated_at=at
    )


# Reminders and due dates (the desk's actions on the overdue list) ------------------------------

log = logging.getLogger(__name__)


def _check_open(assignment: TrainingAssignment) -> None:
    if assignment.status != AssignmentStatus.ASSIGNED:
        raise AssignmentNotOpen(
            course=assignment.course.name, email=assignment.user.email, status=assignment.get_status_display().lower()
        )


def _assignment_facts(assignment: TrainingAssignment) -> dict:
    return {"assignment": assignment.pk, "course": assignment.course.name, "due_date": assignment.due_date.isoformat()}


@transaction.atomic(durable=True)
def remind_learner(*, assignment: TrainingAssignment, actor: User | None, source: str = "") -> TrainingAssignment:
    """Email the learner a reminder of an open assignment: its course and due date (overdue or not).

    Rules: the assignment is open (assigned); its user is enabled.
    Side effects: an audit event (training_reminded) naming the assignment; the email is sent with
    django.core.mail once the transaction commits (a rolled-back reminder sends nothing; a mail
    server that refuses it is logged)."""
    lock_assignments(assignment)
    _check_open(assignment)
    if not assignment.user.enabled:
        raise UserDisabled(email=assignment.user.email)
    record_event(
        EventType.TRAINING_REMINDED,
        actor=actor,
        member=assignment.user,
        source=source,
        after={**_assignment_facts(assignment), "kind": "desk"},
    )
    transaction.on_commit(partial(_send_reminder, assignment.pk), robust=True)
    return assignment


def _send_reminder(assignment_id: int) -> None:
    assignment = TrainingAssignment.objects.select_related("user", "course").get(pk=assignment_id)
    user, course = assignment.user, assignment.course
    overdue = assignment.due_date < timezone.localdate()
    when = f"{'was due on' if overdue else 'is due on'} {assignment.due_date:%d %B %Y}"
    body = (
        f"Hello {user.display_name},\n\n"
        f'This is a reminder that your training "{course.title}" {when}.\n\n'
        f"Open your courses: {settings.SITE_URL}/lms/courses\n"
    )
    send_mail(f"Reminder: {course.title} {when}", body, None, [user.email])
    log.info("training reminder sent to %s for assignment %s", user.email, assignment_id)


@transaction.atomic(durable=True)
def extend_due_date(
    *, assignment: TrainingAssignment, due_date: dt.date, reason: str, actor: User | None, source: str = ""
) -> TrainingAssignment:
    """Move an open assignment's due date later.

    Rules: a reason is given; the assignment is open (assigned); the new date is after the current
    one and not in the past; the user has no other assignment of the course due that day.
    Side effects: an audit event (training_due_date_changed) with the dates before and after and
    the reason."""
    reason = (reason or "").strip()
    if not reason:
        raise DueDateReasonRequired()
    lock_assignments(assignment)
    _check_open(assignment)
    if due_date <= assignment.due_date:
        raise DueDateNotLater(due_date=due_date.isoformat(), current=assignment.due_date.isoformat())
    if due_date < timezone.localdate():
        raise DueDateInPast(due_date=due_date.isoformat())
    taken = DueDateTaken(email=assignment.user.email, course=assignment.course.name, due_date=due_date.isoformat())
    same_day = TrainingAssignment.objects.filter(
        user_id=assignment.user_id, course_id=assignment.course_id, due_date=due_date
    )
    if same_day.exists():
        raise taken
    before = _assignment_facts(assignment)
    try:
        with transaction.atomic():  # savepoint: a unique violation must not poison the outer transaction
            TrainingAssignment.objects.filter(pk=assignment.pk).update(due_date=due_date, updated_at=timezone.now())
    except IntegrityError as exc:
        # Only training_assignment_one_per_due_date covers the due date: one was added meanwhile.
        raise taken from exc
    assignment.refresh_from_db()
    record_event(
        EventType.TRAINING_DUE_DATE_CHANGED,
        actor=actor,
        member=assignment.user,
        source=source,
        reason=reason,
        before=before,
        after=_assignment_facts(assignment),
    )
    return assignment


# Certificates -------------------------------------------------------------------------------------

# 32 letters and digits without the look-alikes I, O, 0 and 1: ten of them are 50 random bits,
# short enough to read out over the phone, far too many to guess.
NAME_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
NAME_LENGTH = 10
# Where an assessments app says whether a member passed every assessment of a cohort: the dotted
# path of a function (member, batch) -> bool. Unset: cohorts have no assessments to pass.
ASSESSMENTS_CHECK_SETTING = "SMOOTHLMS_COHORT_ASSESSMENTS_PASSED"


def new_certificate_name() -> str:
    return "".join(secrets.choice(NAME_ALPHABET) for _ in range(NAME_LENGTH))


def _course_subject(course: Course) -> str:
    return f"course:{course.pk}"


def _batch_subject(batch: Batch) -> str:
    return f"batch:{batch.pk}"


def _cohort_validity(batch: Batch) -> int | None:
    """A cohort certificate lasts as long as the shortest-lived of its courses' certificates."""
    return BatchCourse.objects.filter(batch=batch).aggregate(months=Min("course__validity_months"))["months"]


def _still_current(latest: Certificate, *, course: Course | None, on: dt.date) -> bool:
    """Whether `latest` still covers the member's completion: not expired on `on`, and (for a
    course) no training assignment opened after it, such as its recertification."""
    if not latest.is_valid_on(on):
        return False
    if course is None:
        return True
    reopened = (
        TrainingAssignment.objects.filter(user_id=latest.member_id, course=course)
        .exclude(status=AssignmentStatus.CANCELLED)
        .filter(Q(renews=latest) | Q(created_at__gt=latest.created_at))
    )
    return not reopened.exists()


def _completed_course(member: User, course: Course) -> CourseEnrollment:
    enrollment = (
        CourseEnrollment.objects.filter(member=member, course=course).select_related("enrollment_from_batch").first()
    )
    if enrollment is None or enrollment.completed_at is None:
        raise CourseNotCompleted(member=member.email, course=course.name)
    return enrollment


@transaction.atomic
def issue_certificate(
    *,
    member: User,
    course: Course | None = None,
    batch: Batch | None = None,
    actor: User | None,
    on: dt.date | None = None,
) -> Certificate:
    """Issue `member` (the enrollment's member) a certificate of `course` (taken through the cohort
    `batch`, else the cohort its course enrollment came from) or, without a course, of the cohort
    `batch`. Runs inside the completing transaction when there is one.

    Rules: a course or a cohort (NothingToCertify); the course has `certificate` on
    (CertificateNotOffered) and the member completed it (CourseNotCompleted), or the cohort has
    `certification` on (CertificationNotOffered). One certificate per completion cycle: while the
    member's last certificate of it is valid on `on` and no training assignment of the course was
    opened after it, issuing again returns that certificate and changes nothing; after it expired,
    or once its recertification was opened, a new one is issued. `issue_date` is `on` (default
    today), `expiry_date` adds the course's `validity_months` (a cohort: the shortest of its
    courses'; none: no expiry). Side effects: a CERTIFICATE_ISSUED audit event; the PDF is
    rendered by the worker after commit."""
    on = on or timezone.localdate()
    if course is not None:
        if not course.certificate:
            raise CertificateNotOffered(course=course.name)
        enrollment = _completed_course(member, course)
        batch = batch or enrollment.enrollment_from_batch
        subject, months = _course_subject(course), course.validity_months
    elif batch is not None:
        if not batch.certification:
            raise CertificationNotOffered(batch=batch.name)
        subject, months = _batch_subject(batch), _cohort_validity(batch)
    else:
        raise NothingToCertify()
    latest = Certificate.objects.filter(member=member, subject=subject).order_by("-cycle").first()
    if latest is not None and _still_current(latest, course=course, on=on):
        return latest
    certificate, created = _create_certificate(
        member=member,
        course=course,
        batch=batch,
        subject=subject,
        cycle=latest.cycle + 1 if latest else 1,
        issue_date=on,
        expiry_date=add_months(on, months) if months else None,
        actor=actor,
    )
    if created:
        record_event(
            EventType.CERTIFICATE_ISSUED,
            actor=actor,
            batch=batch,
            member=member,
            after={
                "certificate": certificate.name,
                "course": course.name if course else None,
                "batch": batch.name if batch else None,
                "issue_date": certificate.issue_date.isoformat(),
                "expiry_date": certificate.expiry_date.isoformat() if certificate.expiry_date else None,
                "cycle": certificate.cycle,
            },
        )
        transaction.on_commit(partial(tasks.render_certificate_pdfs.enqueue, [certificate.pk]), robust=True)
    return certificate


def _create_certificate(
    *, member: User, subject: str, cycle: int, actor: User | None, **values
) -> tuple[Certificate, bool]:
    """The certificate of this cycle, made now (True) or found made by a concurrent completion
    (False). A clash of random names, however unlikely, just draws another name."""
    for _ in range(5):
        try:
            with transaction.atomic():  # savepoint: a unique violation must not poison the caller's transaction
                return Certificate.objects.create(
                    name=new_certificate_name(), member=member, subject=subject, cycle=cycle, issued_by=actor, **values
                ), True
        except IntegrityError:
            # A locking read: it sees the other transaction's committed row even under MariaDB's
            # repeatable read, where a plain read would still show the snapshot without it.
            existing = select_for_update(
                Certificate.objects.filter(member=member, subject=subject, cycle=cycle)
            ).first()
            if existing is not None:
                return existing, False
    raise IntegrityError("could not draw an unused certificate name")


def _cohort_assessments_passed(member: User, batch: Batch) -> bool:
    path = getattr(settings, ASSESSMENTS_CHECK_SETTING, "")
    return import_string(path)(member, batch) if path else True


@transaction.atomic
def issue_cohort_certificate_if_complete(
    *, member: User, batch: Batch, actor: User | None, on: dt.date | None = None, assessments_passed: bool | None = None
) -> Certificate | None:
    """The cohort certificate of `member`, issued once they have completed every course of `batch`
    (their course enrollments have `completed_at`) and passed every assessment; None while they
    have not, or when the cohort has `certification` off.

    Assessments: `assessments_passed` when the caller knows (the assessments app, on a pass), else
    the function named by settings.SMOOTHLMS_COHORT_ASSESSMENTS_PASSED (dotted path, called with
    member and batch), else none are required. Idempotent as issue_certificate."""
    if not batch.certification:
        return None
    course_ids = set(BatchCourse.objects.filter(batch=batch).values_list("course_id", flat=True))
    if not course_ids:
        return None
    done = set(
        CourseEnrollment.objects.filter(
            member=member, course_id__in=course_ids, completed_at__isnull=False
        ).values_list("course_id", flat=True)
    )
    if done != course_ids:
        return None
    if not (assessments_passed if assessments_passed is not None else _cohort_assessments_passed(member, batch)):
        return None
    return issue_certificate(member=member, batch=batch, actor=actor, on=on)


@dataclass
class CompletionResult:
    closed_assignments: int = 0
    certificates: list[Certificate] = field(default_factory=list)


@transaction.atomic
def record_course_completion(
    *, member: User, course: Course, actor: User | None, at: dt.datetime | None = None, on: dt.date | None = None
) -> CompletionResult:
    """What follows a course enrollment reaching 100% (called by learning, in the completing
    transaction, after `completed_at` is set): the member's open training assignments of the course
    are closed (`completed`, `completed_at`); the course certificate is issued when the course gives
    one; so is the certificate of each cohort with `certification` on that the member is active in,
    that has this course and that is now complete. Idempotent."""
    result = CompletionResult()
    result.closed_assignments = complete_assignments_for(user=member, course=course, at=at or timezone.now())
    if course.certificate:
        result.certificates.append(issue_certificate(member=member, course=course, actor=actor, on=on))
    cohorts = (
        Batch.objects.filter(
            certification=True,
            batch_courses__course=course,
            enrollments__member=member,
            enrollments__status=EnrollmentStatus.ACTIVE,
        )
        .distinct()
        .order_by("pk")
    )
    for batch in cohorts:
        certificate = issue_cohort_certificate_if_complete(member=member, batch=batch, actor=actor, on=on)
        if certificate is not None:
            result.certificates.append(certificate)
    return result
