"""Sending confirmations, reminders, set-password and cancellation emails: the one delivery path of the system.
The enrollment row is the outbox of its confirmation, people's UserInvitation row the outbox of a
set-password email; this module is the only writer of their delivery fields after the engine and
the accounts set them to `pending`.

Never twice, nothing lost: before a message goes out, its row is *claimed* with one conditional
UPDATE in its own short transaction (pending, due, and the attempt count we read) that moves
`confirmation_email_next_attempt` to a lease a few minutes ahead and counts the attempt. No row
lock is held while we talk to the SMTP server. A second worker's claim on the same row matches
no row and it moves on. When the server accepts, a second conditional UPDATE, fenced by the lease
and the attempt count, marks the row sent; a failure schedules the next attempt with backoff, or
`failed` after MAX_ATTEMPTS. A worker that dies holding a claim leaves the row pending with the
lease as its next attempt: once the lease expires the sweep hands it to another worker.

The one window left: a worker killed after the server accepted a message but before it recorded
that. The row is sent again after the lease expires; it carries the same Message-ID, which lets
mail systems and clients drop the duplicate.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone

from smoothlms.catalog.models import Batch, LMSSettings
from smoothlms.core.audit import record_event
from smoothlms.core.models import EventType
from smoothlms.enrollment.models import BatchEnrollment, EmailStatus, EnrollmentStatus
from smoothlms.notifications.ics import build_batch_cancellation, build_batch_invitation, calendar_host
from smoothlms.notifications.mailer import Mailer, SendError
from smoothlms.notifications.models import (
    REMINDER_TEMPLATE_NAME,
    CancellationNotice,
    EmailTemplate,
    ReminderDelivery,
)
from smoothlms.notifications.policy import CLAIM_SECONDS, ERROR_LENGTH, MAX_ATTEMPTS, retry_delay
from smoothlms.notifications.rendering import RenderedEmail, batch_context, member_context, render_email
from smoothlms.notifications.selectors import list_due_reminders
from smoothlms.people.accounts import set_password_url
from smoothlms.people.models import INVITATION, RESET, UserInvitation

log = logging.getLogger(__name__)

HELD_NOTE = "Held until the learner sets a password (LMS Settings: hold emails until password set)."


def due(now: dt.datetime) -> Q:
    """Pending rows nobody holds: never tried, or their lease or backoff has passed."""
    return Q(confirmation_email_next_attempt__isnull=True) | Q(confirmation_email_next_attempt__lte=now)


@dataclass
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    skipped: int = 0
    held: int = 0
    claimed_elsewhere: int = 0


def build_message(rendered: RenderedEmail, *, to: str, invitation: bytes, message_id: str) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=rendered.subject,
        body=rendered.text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers={"Message-ID": message_id},
    )
    if rendered.html:
        message.attach_alternative(rendered.html, "text/html")
    message.attach("invitation.ics", invitation.decode(), "text/calendar")
    return message


# What a cohort contributes to its messages, computed once per cohort per task -----------------------


@dataclass
class BatchMaterial:
    context: dict
    invitation: bytes


@dataclass
class BatchMaterials:
    cache: dict[int, BatchMaterial] = field(default_factory=dict)

    def get(self, batch: Batch) -> BatchMaterial:
        if batch.pk not in self.cache:
            courses = [
                title
                for title in batch.batch_courses.order_by("position", "id").values_list("course__title", flat=True)
            ]
            live_classes = list(batch.live_classes.order_by("date", "time", "id"))
            self.cache[batch.pk] = BatchMaterial(
                context=batch_context(batch, courses=courses, live_classes=live_classes),
                invitation=build_batch_invitation(batch, live_classes),
            )
        return self.cache[batch.pk]


def _message_id(kind: str, enrollment: BatchEnrollment) -> str:
    # The same for every attempt of one sending (a resend or a reactivation changes updated_at),
    # so a duplicate after a crash can be recognised downstream.
    return f"<{kind}.{enrollment.pk}.{enrollment.updated_at.astimezone(dt.UTC):%Y%m%d%H%M%S%f}@{calendar_host()}>"


# Confirmations --------------------------------------------------------------------------------


def deliver_confirmations(*, enrollment_ids: list[int]) -> DeliveryReport:
    """Send the pending, due confirmations among `enrollment_ids`, each at most once.

    Rules: only active enrollments of enabled users are confirmed; no template or emails turned
    off -> `skipped` with the reason; LMS Settings' hold -> stays pending (held) while the learner
    has not set a password; a refusal by the server (5xx) -> `failed` at once; other failures retry
    with backoff up to MAX_ATTEMPTS, then `failed` with the last error. Side effects: the email
    (with its calendar invitation), the row's status, an EMAIL_SENT or EMAIL_FAILED audit event."""
    report = DeliveryReport()
    rows = list(
        BatchEnrollment.objects.filter(pk__in=enrollment_ids, confirmation_email_status=EmailStatus.PENDING)
        .filter(due(timezone.now()))
        .select_related("batch", "batch__confirmation_email_template", "member")
        .order_by("pk")
    )
    if not rows:
        return report
    lms = (
        LMSSettings.objects.select_related("batch_confirmation_template", "waitlist_promotion_template")
        .filter(pk=1)
        .first()
        or LMSSettings.load()
    )
    materials = BatchMaterials()
    mailer = Mailer()
    try:
        for enrollment in rows:
            _deliver_confirmation(enrollment, lms=lms, materials=materials, mailer=mailer, report=report)
    finally:
        mailer.close()
    return report


def _skip_reason(enrollment: BatchEnrollment, lms: LMSSettings, template: EmailTemplate | None) -> str:
    if enrollment.status == EnrollmentStatus.CANCELLED:
        return "Not sent: the enrollment was cancelled before the email went out."
    if enrollment.status != EnrollmentStatus.ACTIVE:
        return f"Not sent: the enrollment is {enrollment.status}."
    if not lms.send_confirmation_emails:
        return "Not sent: confirmation emails are turned off in LMS Settings."
    if template is None:
        return "Not sent: no confirmation email template is configured in LMS Settings."
    if not enrollment.member.enabled:
        return f"Not sent: the user {enrollment.member.email} is disabled."
    return ""


def _template_for(enrollment: BatchEnrollment, lms: LMSSettings) -> EmailTemplate | None:
    """A seat given from the waitlist is announced with LMS Settings' "You have a seat" template (when
    set); any other seat with the cohort's confirmation template, else LMS Settings' one."""
    if enrollment.promoted_at is not None and lms.waitlist_promotion_template is not None:
        return lms.waitlist_promotion_template
    return enrollment.batch.confirmation_email_template or lms.batch_confirmation_template


def _deliver_confirmation(
    enrollment: BatchEnrollment, *, lms: LMSSettings, materials: BatchMaterials, mailer: Mailer, report: DeliveryReport
) -> None:
    template = _template_for(enrollment, lms)
    now = timezone.now()
    free = BatchEnrollment.objects.filter(due(now), pk=enrollment.pk, confirmation_email_status=EmailStatus.PENDING)
    if reason := _skip_reason(enrollment, lms, template):
        free.update(
            confirmation_email_status=EmailStatus.SKIPPED,
            confirmation_email_error=reason,
            confirmation_email_next_attempt=None,
        )
        report.skipped += 1
        return
    if lms.hold_emails_until_password_set and not enrollment.member.password_set:
        # Not an attempt and not a failure: release_held_emails() queues it once a password is set.
        free.update(confirmation_email_error=HELD_NOTE, confirmation_email_next_attempt=None)
        report.held += 1
        return
    lease = now + dt.timedelta(seconds=CLAIM_SECONDS)
    attempt = enrollment.confirmation_email_attempts + 1
    if not free.filter(confirmation_email_attempts=enrollment.confirmation_email_attempts).update(
        confirmation_email_next_attempt=lease, confirmation_email_attempts=attempt
    ):
        report.claimed_elsewhere += 1  # another worker holds it, or it changed since we read it
        return
    claimed = BatchEnrollment.objects.filter(
        pk=enrollment.pk,
        confirmation_email_status=EmailStatus.PENDING,
        confirmation_email_next_attempt=lease,
        confirmation_email_attempts=attempt,
    )
    material = materials.get(enrollment.batch)
    try:
        rendered = render_email(template, {**material.context, **member_context(enrollment.member)})
    except Exception as exc:  # noqa: BLE001 - a template saved around validation: fail it, visibly
        error = SendError(f"Template error: {type(exc).__name__}: {exc}", permanent=True, server_down=False)
    else:
        message = build_message(
            rendered,
            to=enrollment.member.email,
            invitation=material.invitation,
            message_id=_message_id("confirmation", enrollment),
        )
        error = mailer.send(message)
    if error is None:
        _record_sent(claimed, enrollment, attempt)
        report.sent += 1
    elif error.permanent or attempt >= MAX_ATTEMPTS:
        _record_failed(claimed, enrollment, attempt, error)
        report.failed += 1
    else:
        next_attempt = timezone.now() + retry_delay(attempt)
        claimed.update(
            confirmation_email_next_attempt=next_attempt,
            confirmation_email_error=(
                f"Attempt {attempt} of {MAX_ATTEMPTS} failed: {error.text} Next attempt after "
                f"{next_attempt:%Y-%m-%d %H:%M} UTC."
            )[:ERROR_LENGTH],
        )
        report.retrying += 1


def _record_sent(claimed, enrollment: BatchEnrollment, attempt: int) -> None:
    with transaction.atomic():
        marked = claimed.update(
            confirmation_email_status=EmailStatus.SENT,
            confirmation_email_sent=True,
            confirmation_email_sent_at=timezone.now(),
            confirmation_email_error="",
            confirmation_email_next_attempt=None,
        )
        if marked:
            record_event(
                EventType.EMAIL_SENT,
                batch=enrollment.batch,
                member=enrollment.member,
                enrollment=enrollment,
                after={"email": "confirmation", "attempts": attempt, "to": enrollment.member.email},
            )
    if not marked:
        # Our claim was overtaken (a resend reset the row, or the lease ran out): the row's new
        # owner decides; the server has this message already.
        log.warning("confirmation of enrollment %s accepted by the server, but its claim was lost", enrollment.pk)


def _record_failed(claimed, enrollment: BatchEnrollment, attempt: int, error: SendError) -> None:
    if error.text.startswith("Template error"):
        text = error.text
    elif error.permanent:
        text = f"Refused by the mail server: {error.text}"
    else:
        text = f"Failed after {attempt} attempts: {error.text}"
    text = text[:ERROR_LENGTH]
    with transaction.atomic():
        if claimed.update(
            confirmation_email_status=EmailStatus.FAILED,
            confirmation_email_error=text,
            confirmation_email_next_attempt=None,
        ):
            record_event(
                EventType.EMAIL_FAILED,
                batch=enrollment.batch,
                member=enrollment.member,
                enrollment=enrollment,
                reason=text,
                after={"email": "confirmation", "attempts": attempt},
            )


# Reminders ------------------------------------------------------------------------------------


def deliver_reminders(*, now: dt.datetime | None = None) -> DeliveryReport:
    """Send the reminders that are due (see selectors.list_due_reminders), each once per
    enrollment: claimed through its ReminderDelivery row before sending, retried with the same
    backoff while the cohort has not started. Side effects: the email, reminder_sent_at, an
    EMAIL_SENT or EMAIL_FAILED audit event."""

    report = DeliveryReport()
    template = EmailTemplate.objects.filter(name=REMINDER_TEMPLATE_NAME).first()
    if template is None:
        return report
    rows = list_due_reminders(now=now or timezone.now())
    materials = BatchMaterials()
    mailer = Mailer()
    try:
        for enrollment in rows:
            _deliver_reminder(enrollment, template=template, materials=materials, mailer=mailer, report=report)
    finally:
        mailer.close()
    return report


def _claim_reminder(enrollment: BatchEnrollment) -> tuple[dt.datetime, int] | None:
    now = timezone.now()
    lease = now + dt.timedelta(seconds=CLAIM_SECONDS)
    try:
        with transaction.atomic():  # savepoint: losing the insert race must not break an outer transaction
            ReminderDelivery.objects.create(enrollment=enrollment, claimed_until=lease, attempts=1)
        return lease, 1
    except IntegrityError:
        pass
    current = ReminderDelivery.objects.filter(enrollment=enrollment).values_list("attempts", flat=True).first()
    if current is None or current >= MAX_ATTEMPTS:
        return None
    claimed = ReminderDelivery.objects.filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lte=now),
        enrollment=enrollment,
        sent_at__isnull=True,
        attempts=current,
    ).update(claimed_until=lease, attempts=F("attempts") + 1)
    return (lease, current + 1) if claimed else None


def _deliver_reminder(
    enrollment: BatchEnrollment,
    *,
    template: EmailTemplate,
    materials: BatchMaterials,
    mailer: Mailer,
    report: DeliveryReport,
) -> None:
    claim = _claim_reminder(enrollment)
    if claim is None:
        report.claimed_elsewhere += 1
        return
    lease, attempt = claim
    claimed = ReminderDelivery.objects.filter(
        enrollment=enrollment, claimed_until=lease, attempts=attempt, sent_at__isnull=True
    )
    material = materials.get(enrollment.batch)
    try:
        rendered = render_email(template, {**material.context, **member_context(enrollment.member)})
    except Exception as exc:  # noqa: BLE001 - a template saved around validation: give up on it, visibly
        error = SendError(f"Template error: {type(exc).__name__}: {exc}", permanent=True, server_down=False)
    else:
        error = mailer.send(
            build_message(
                rendered,
                to=enrollment.member.email,
                invitation=material.invitation,
                message_id=_message_id("reminder", enrollment),
            )
        )
    now = timezone.now()
    if error is None:
        with transaction.atomic():
            if claimed.update(sent_at=now, error="", claimed_until=None):
                BatchEnrollment.objects.filter(pk=enrollment.pk).update(reminder_sent_at=now)
                record_event(
                    EventType.EMAIL_SENT,
                    batch=enrollment.batch,
                    member=enrollment.member,
                    enrollment=enrollment,
                    after={"email": "reminder", "attempts": attempt, "to": enrollment.member.email},
                )
        report.sent += 1
    elif error.permanent or attempt >= MAX_ATTEMPTS:
        with transaction.atomic():
            # attempts at the limit: never claimed again
            if claimed.update(error=error.text[:ERROR_LENGTH], attempts=MAX_ATTEMPTS):
                record_event(
                    EventType.EMAIL_FAILED,
                    batch=enrollment.batch,
                    member=enrollment.member,
                    enrollment=enrollment,
                    reason=error.text[:ERROR_LENGTH],
                    after={"email": "reminder", "attempts": attempt},
                )
        report.failed += 1
    else:
        claimed.update(claimed_until=now + retry_delay(attempt), error=error.text[:ERROR_LENGTH])
        report.retrying += 1


# Set-password emails ------------------------------------------------------------------------------
# people.UserInvitation is their outbox (people.accounts writes the rows): the same claim, lease and
# backoff as the confirmations above.

SET_PASSWORD_TEMPLATES = {INVITATION: "notifications/email/invitation", RESET: "notifications/email/reset"}


def invitation_due(now: dt.datetime) -> Q:
    """Pending set-password emails nobody holds: never tried, or their lease or backoff has passed."""
    return Q(next_attempt__isnull=True) | Q(next_attempt__lte=now)


def deliver_invitations(*, user_ids: list[int]) -> DeliveryReport:
    """Send the pending, due set-password emails of these users, each at most once.

    Rules: a disabled user gets none; an invitation (not a "Forgot password?" link) to a user who
    has set a password meanwhile is not sent (both `skipped`, with the reason); a refusal by the
    server (5xx) -> `failed` at once; other failures retry with backoff up to MAX_ATTEMPTS, then
    `failed` with the last error. Side effects: the email and the row's status."""
    report = DeliveryReport()
    rows = list(
        UserInvitation.objects.filter(user_id__in=user_ids, status=UserInvitation.Status.PENDING)
        .filter(invitation_due(timezone.now()))
        .select_related("user")
        .order_by("pk")
    )
    if not rows:
        return report
    mailer = Mailer()
    try:
        for invitation in rows:
            _deliver_invitation(invitation, mailer=mailer, report=report)
    finally:
        mailer.close()
    return report


def set_password_message(invitation: UserInvitation) -> EmailMultiAlternatives:
    user = invitation.user
    context = {
        "user": user,
        "name": user.display_name,
        "url": set_password_url(user),
        "site_url": settings.SITE_URL,
        "login_url": f"{settings.SITE_URL}/login",
        "valid_days": max(1, settings.PASSWORD_RESET_TIMEOUT // 86400),
    }
    template = SET_PASSWORD_TEMPLATES.get(invitation.kind, SET_PASSWORD_TEMPLATES[RESET])
    return EmailMultiAlternatives(
        subject=render_to_string(f"{template}_subject.txt", context).strip(),
        body=render_to_string(f"{template}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
        headers={"Message-ID": f"<set-password.{invitation.pk}@{calendar_host()}>"},
    )


def _invitation_skip_reason(invitation: UserInvitation) -> str:
    if not invitation.user.enabled:
        return "The user is disabled."
    if invitation.kind == INVITATION and invitation.user.password_set:
        return "The user has already set a password."
    return ""


def _deliver_invitation(invitation: UserInvitation, *, mailer: Mailer, report: DeliveryReport) -> None:
    now = timezone.now()
    pending = UserInvitation.Status.PENDING
    free = UserInvitation.objects.filter(invitation_due(now), pk=invitation.pk, status=pending)
    if reason := _invitation_skip_reason(invitation):
        free.update(status=UserInvitation.Status.SKIPPED, error=reason, next_attempt=None)
        report.skipped += 1
        return
    lease = now + dt.timedelta(seconds=CLAIM_SECONDS)
    attempt = invitation.attempts + 1
    if not free.filter(attempts=invitation.attempts).update(next_attempt=lease, attempts=attempt):
        report.claimed_elsewhere += 1  # another worker holds it, or it changed since we read it
        return
    claimed = UserInvitation.objects.filter(pk=invitation.pk, status=pending, next_attempt=lease, attempts=attempt)
    try:
        message = set_password_message(invitation)
    except Exception as exc:  # noqa: BLE001 - a broken template: fail this email, visibly
        error: SendError | None = SendError(
            f"Template error: {type(exc).__name__}: {exc}", permanent=True, server_down=False
        )
    else:
        error = mailer.send(message)
    if error is None:
        if not claimed.update(status=UserInvitation.Status.SENT, sent_at=timezone.now(), error="", next_attempt=None):
            log.warning("set-password email %s accepted by the server, but its claim was lost", invitation.pk)
        report.sent += 1
    elif error.permanent or attempt >= MAX_ATTEMPTS:
        claimed.update(status=UserInvitation.Status.FAILED, error=error.text[:ERROR_LENGTH], next_attempt=None)
        report.failed += 1
    else:
        claimed.update(next_attempt=timezone.now() + retry_delay(attempt), error=error.text[:ERROR_LENGTH])
        report.retrying += 1


# Cancellation emails ------------------------------------------------------------------------------
# CancellationNotice is their outbox (receivers write one per cancellation, in the cancelling
# transaction): the same claim, lease and backoff as the confirmations above.

CANCELLATION_REASONS = {
    "": "A moderator cancelled it.",
    "self": "You cancelled it yourself.",
    "user_disabled": "Your account was disabled.",
    "not_eligible": (
        "A seat opened for you from the waitlist, but your account is disabled or no longer "
        "has the LMS Student role, so the place went to the next person in line."
    ),
    EventType.TRANSFERRED: "A moderator moved you to another cohort; its own email gives the details.",
    EventType.REPLACED: "A moderator passed your seat to a colleague.",
}


def cancellation_reason_text(reason: str) -> str:
    """The sentence the email gives for a reason code, or the moderator's own reason."""
    return CANCELLATION_REASONS.get(reason, f"A moderator cancelled it: {reason}")


def cancellation_due(now: dt.datetime) -> Q:
    return Q(next_attempt__isnull=True) | Q(next_attempt__lte=now)


def deliver_cancellations(*, enrollment_ids: list[int]) -> DeliveryReport:
    """Send the pending, due cancellation emails of these enrollments, each at most once.

    Rules: no template in LMS Settings -> `skipped` with the reason; a refusal by the server (5xx)
    -> `failed` at once; other failures retry with backoff up to MAX_ATTEMPTS. The email carries a
    calendar cancellation (METHOD:CANCEL, the invitation's UIDs) when the member had a seat. Side
    effects: the email, the notice's status, an EMAIL_SENT or EMAIL_FAILED audit event."""
    report = DeliveryReport()
    rows = list(
        CancellationNotice.objects.filter(enrollment_id__in=enrollment_ids, status=CancellationNotice.Status.PENDING)
        .filter(cancellation_due(timezone.now()))
        .select_related("enrollment__batch", "enrollment__member")
        .order_by("pk")
    )
    if not rows:
        return report
    lms = LMSSettings.objects.select_related("cancellation_template").filter(pk=1).first() or LMSSettings.load()
    materials, cancellations = BatchMaterials(), {}
    mailer = Mailer()
    try:
        for notice in rows:
            _deliver_cancellation(
                notice,
                template=lms.cancellation_template,
                materials=materials,
                cancellations=cancellations,
                mailer=mailer,
                report=report,
            )
    finally:
        mailer.close()
    return report


def _cancellation_message(
    notice: CancellationNotice, template: EmailTemplate, material: BatchMaterial, calendar: bytes | None
) -> EmailMultiAlternatives:
    enrollment = notice.enrollment
    rendered = render_email(
        template,
        {
            **material.context,
            **member_context(enrollment.member),
            "live_classes": material.context["live_classes"] if notice.had_seat else [],
            "cancellation_reason": cancellation_reason_text(notice.reason),
        },
    )
    message = EmailMultiAlternatives(
        subject=rendered.subject,
        body=rendered.text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[enrollment.member.email],
        headers={"Message-ID": f"<cancellation.{notice.pk}@{calendar_host()}>"},
    )
    if rendered.html:
        message.attach_alternative(rendered.html, "text/html")
    if calendar is not None:
        message.attach("cancel.ics", calendar.decode(), "text/calendar; method=CANCEL")
    return message


def _deliver_cancellation(
    notice: CancellationNotice,
    *,
    template: EmailTemplate | None,
    materials: BatchMaterials,
    cancellations: dict[int, bytes],
    mailer: Mailer,
    report: DeliveryReport,
) -> None:
    now = timezone.now()
    pending = CancellationNotice.Status.PENDING
    free = CancellationNotice.objects.filter(cancellation_due(now), pk=notice.pk, status=pending)
    if template is None:
        free.update(
            status=CancellationNotice.Status.SKIPPED,
            next_attempt=None,
            error="Not sent: no cancellation email template is configured in LMS Settings.",
        )
        report.skipped += 1
        return
    lease, attempt = now + dt.timedelta(seconds=CLAIM_SECONDS), notice.attempts + 1
    if not free.filter(attempts=notice.attempts).update(next_attempt=lease, attempts=attempt):
        report.claimed_elsewhere += 1
        return
    claimed = CancellationNotice.objects.filter(pk=notice.pk, status=pending, next_attempt=lease, attempts=attempt)
    batch = notice.enrollment.batch
    calendar = None
    if notice.had_seat:
        if batch.pk not in cancellations:
            cancellations[batch.pk] = build_batch_cancellation(
                batch, list(batch.live_classes.order_by("date", "time", "id"))
            )
        calendar = cancellations[batch.pk]
    try:
        message = _cancellation_message(notice, template, materials.get(batch), calendar)
    except Exception as exc:  # noqa: BLE001 - a template saved around validation: fail it, visibly
        error: SendError | None = SendError(
            f"Template error: {type(exc).__name__}: {exc}", permanent=True, server_down=False
        )
    else:
        error = mailer.send(message)
    _record_cancellation(claimed, notice, attempt, error, report)


def _record_cancellation(
    claimed, notice: CancellationNotice, attempt: int, error: SendError | None, report: DeliveryReport
) -> None:
    enrollment = notice.enrollment
    event = {"batch": enrollment.batch, "member": enrollment.member, "enrollment": enrollment}
    if error is None:
        with transaction.atomic():
            if claimed.update(
                status=CancellationNotice.Status.SENT, sent_at=timezone.now(), error="", next_attempt=None
            ):
                record_event(
                    EventType.EMAIL_SENT,
                    **event,
                    after={"email": "cancellation", "attempts": attempt, "to": enrollment.member.email},
                )
        report.sent += 1
    elif error.permanent or attempt >= MAX_ATTEMPTS:
        with transaction.atomic():
            if claimed.update(
                status=CancellationNotice.Status.FAILED, error=error.text[:ERROR_LENGTH], next_attempt=None
            ):
                record_event(
                    EventType.EMAIL_FAILED,
                    **event,
                    reason=error.text[:ERROR_LENGTH],
                    after={"email": "cancellation", "attempts": attempt},
                )
        report.failed += 1
    else:
        claimed.update(next_attempt=timezone.now() + retry_delay(attempt), error=error.text[:ERROR_LENGTH])
        report.retrying += 1
