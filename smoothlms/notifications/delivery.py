"""Rendering and sending confirmation emails; the enrollment row records the outcome."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template import Context, Template
from django.utils import timezone

from smoothlms.catalog.models import LMSSettings
from smoothlms.core.db import select_for_update
from smoothlms.enrollment.models import BatchEnrollment, EmailStatus

log = logging.getLogger(__name__)


def confirmation_context(enrollment: BatchEnrollment) -> dict:
    batch = enrollment.batch
    fmt = "%A %d %B %Y, %H:%M"
    return {
        "member_name": enrollment.member.display_name,
        "member_email": enrollment.member.email,
        "batch_title": batch.title,
        "batch_name": batch.name,
        "starts_at": batch.starts_at.strftime(fmt),
        "ends_at": batch.ends_at.strftime(fmt),
        "timezone": batch.timezone,
        "courses": [bc.course.title for bc in batch.batch_courses.all()],
        "live_classes": [
            {"title": lc.title, "starts_at": lc.starts_at.strftime(fmt), "timezone": lc.timezone}
            for lc in batch.live_classes.all()
        ],
        "batch_url": f"{settings.SITE_URL}/lms/batches/{batch.name}",
        "courses_url": f"{settings.SITE_URL}/lms/courses",
        "timetable_url": f"{settings.SITE_URL}/lms/timetable",
    }


def deliver_confirmations(*, enrollment_ids: list[int]) -> None:
    """Send each pending confirmation once. Safe to run twice: a row is claimed (pending ->
    sending is not a state; we re-check `pending` under a row lock) before its message goes out."""
    lms = LMSSettings.load()
    for enrollment_id in enrollment_ids:
        _deliver_one(enrollment_id, lms)


def _deliver_one(enrollment_id: int, lms: LMSSettings) -> None:
    with transaction.atomic():
        enrollment = (
            select_for_update(BatchEnrollment.objects.all(), of=("self",))
            .select_related("batch", "member", "batch__confirmation_email_template")
            .filter(pk=enrollment_id, confirmation_email_status=EmailStatus.PENDING)
            .first()
        )
        if enrollment is None:
            return  # already sent, skipped or failed: never send twice
        template = enrollment.batch.confirmation_email_template or lms.batch_confirmation_template
        if not lms.send_confirmation_emails or template is None:
            reason = "Confirmation emails are turned off in LMS Settings." if template else (
                "No confirmation email template is configured in LMS Settings.")
            BatchEnrollment.objects.filter(pk=enrollment.pk).update(
                confirmation_email_status=EmailStatus.SKIPPED, confirmation_email_error=reason)
            return
        context = Context(confirmation_context(enrollment))
        message = EmailMultiAlternatives(
            subject=Template(template.subject).render(context).strip(),
            body=Template(template.body_text).render(context),
            to=[enrollment.member.email],
        )
        if template.body_html:
            message.attach_alternative(Template(template.body_html).render(context), "text/html")
        message.send()  # raises when the server refuses: the row stays pending
        BatchEnrollment.objects.filter(pk=enrollment.pk).update(
            confirmation_email_status=EmailStatus.SENT, confirmation_email_sent=True,
            confirmation_email_sent_at=timezone.now(), confirmation_email_error="",
            confirmation_email_attempts=enrollment.confirmation_email_attempts + 1,
        )
