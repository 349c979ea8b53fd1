"""Confirmation delivery against a real SMTP server (aiosmtpd on 127.0.0.1)."""

import datetime as dt
import threading

import pytest
from django.db import connection, transaction
from django.utils import timezone
from icalendar import Calendar

from smoothlms.catalog.models import LMSSettings
from smoothlms.core.models import EnrollmentEvent, EventType
from smoothlms.core.testing import run_in_threads
from smoothlms.enrollment.models import BatchEnrollment, EmailStatus, Source
from smoothlms.enrollment.services import bulk_enroll, cancel_enrollment, enroll
from smoothlms.notifications.delivery import CLAIM_SECONDS, HELD_NOTE, MAX_ATTEMPTS, deliver_confirmations, retry_delay
from smoothlms.notifications.models import EmailTemplate
from smoothlms.notifications.services import sweep_email_queue
from smoothlms.people.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def enroll_now(batch, member, *, actor=None, notify=True):
    return enroll(batch=batch, member=member, actor=actor, source=Source.DESK, notify=notify)


def row(enrollment):
    return BatchEnrollment.objects.get(pk=enrollment.pk)


def test_confirmation_arrives_with_subject_recipient_local_times_links_and_invitation(
    smtp, batch, live_class, learner, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        enrollment = enroll_now(batch, learner)

    [received] = smtp.received
    assert received.recipients == ["asha@example.com"]
    message = received.message
    assert message["Subject"] == "You are enrolled in New Hire Week 12"
    assert message["To"] == "asha@example.com"
    stamp = row(enrollment).updated_at.astimezone(dt.UTC)
    assert message["Message-ID"] == f"<confirmation.{enrollment.pk}.{stamp:%Y%m%d%H%M%S%f}@testserver>"
    text = message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")
    start = batch.start_date
    # 09:00 in Asia/Kolkata is 03:30 UTC: the email speaks the cohort's time, with its zone's name.
    assert f"Starts: {start:%A %d %B %Y}, 09:00 (Asia/Kolkata)" in text
    assert f"Ends:   {batch.end_date:%A %d %B %Y}, 17:00 (Asia/Kolkata)" in text
    assert "03:30" not in text
    assert f"Kick-off: {start:%A %d %B %Y}, 10:00 (Asia/Kolkata)" in text
    assert "  - Onboarding\n  - Security basics" in text
    assert f"http://testserver/lms/batches/{batch.name}" in text
    assert "http://testserver/lms/courses" in text and "http://testserver/lms/timetable" in text
    html = message.get_body(preferencelist=("html",)).get_content()
    assert f'<a href="http://testserver/lms/batches/{batch.name}">' in html

    [attachment] = list(message.iter_attachments())
    assert attachment.get_content_type() == "text/calendar"
    assert attachment.get_filename() == "invitation.ics"
    calendar = Calendar.from_ical(attachment.get_content())
    [event] = calendar.walk("VEVENT")
    assert str(event["UID"]) == f"liveclass-{live_class.pk}@testserver"
    assert event["DTSTART"].params["TZID"] == "Asia/Kolkata"
    assert event.decoded("DTSTART") == dt.datetime.combine(start, dt.time(10)).replace(
        tzinfo=event.decoded("DTSTART").tzinfo
    )
    assert event.decoded("DTSTART").utcoffset() == dt.timedelta(hours=5, minutes=30)
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Asia/Kolkata"]

    enrollment = row(enrollment)
    assert (enrollment.confirmation_email_status, enrollment.confirmation_email_sent) == (EmailStatus.SENT, True)
    assert enrollment.confirmation_email_sent_at is not None and enrollment.confirmation_email_attempts == 1
    event = EnrollmentEvent.objects.get(kind=EventType.EMAIL_SENT)
    assert (event.enrollment_id, event.member, event.after["email"]) == (enrollment.pk, learner, "confirmation")


def test_a_cohort_without_live_classes_invites_to_its_start_and_end(
    smtp, batch, learner, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        enroll_now(batch, learner)
    [attachment] = list(smtp.received[0].message.iter_attachments())
    [event] = Calendar.from_ical(attachment.get_content()).walk("VEVENT")
    assert str(event["UID"]) == f"batch-{batch.pk}@testserver"
    assert event["DTSTART"].params["TZID"] == "Asia/Kolkata"
    assert event.decoded("DTSTART").replace(tzinfo=None) == dt.datetime.combine(batch.start_date, dt.time(9))
    assert event.decoded("DTEND").replace(tzinfo=None) == dt.datetime.combine(batch.end_date, dt.time(17))


def test_a_rolled_back_enrollment_sends_nothing(smtp, batch, learner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            enroll_now(batch, learner)
            raise RuntimeError("the surrounding request failed")
    assert callbacks == [] and smtp.received == []
    assert not BatchEnrollment.objects.exists()


def test_the_cohort_template_overrides_the_settings_template(smtp, batch, learner, django_capture_on_commit_callbacks):
    batch.confirmation_email_template = EmailTemplate.objects.create(
        name="Sales kick-off", subject="Welcome to {{ batch_title }}, {{ member_name }}", body_text="See you."
    )
    batch.save()
    with django_capture_on_commit_callbacks(execute=True):
        enroll_now(batch, learner)
    assert smtp.received[0].message["Subject"] == "Welcome to New Hire Week 12, Asha Rao"


@pytest.mark.django_db(transaction=True)
def test_the_flag_flips_only_after_the_server_accepted(smtp, batch, learner):
    enrollment = enroll_now(batch, learner)  # transaction=True: the on-commit task ran; SMTP was up
    BatchEnrollment.objects.filter(pk=enrollment.pk).update(
        confirmation_email_status=EmailStatus.PENDING, confirmation_email_sent=False, confirmation_email_attempts=0
    )
    smtp.handler.delay = 1.0
    smtp.handler.data_started.clear()
    worker = threading.Thread(
        target=lambda: (deliver_confirmations(enrollment_ids=[enrollment.pk]), connection.close())
    )
    worker.start()
    assert smtp.handler.data_started.wait(10)
    during = row(enrollment)  # the server holds the message, undecided
    worker.join(10)
    assert (during.confirmation_email_status, during.confirmation_email_sent) == (EmailStatus.PENDING, False)
    assert during.confirmation_email_next_attempt > timezone.now()  # claimed: no other worker takes it
    after = row(enrollment)
    assert (after.confirmation_email_status, after.confirmation_email_sent) == (EmailStatus.SENT, True)
    assert after.confirmation_email_next_attempt is None


def test_a_temporary_refusal_keeps_the_email_pending_and_retries_with_backoff(
    smtp, batch, learner, django_capture_on_commit_callbacks
):
    smtp.handler.reply = "451 4.3.0 Mailbox temporarily unavailable"
    before = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        enrollment = enroll_now(batch, learner)
    enrollment = row(enrollment)
    assert (enrollment.confirmation_email_status, enrollment.confirmation_email_sent) == (EmailStatus.PENDING, False)
    assert enrollment.confirmation_email_attempts == 1
    assert (
        "Attempt 1 of 8 failed: SMTPDataError: 451 4.3.0 Mailbox temporarily unavailable"
        in enrollment.confirmation_email_error
    )
    assert (
        before + dt.timedelta(minutes=1)
        <= enrollment.confirmation_email_next_attempt
        <= timezone.now() + dt.timedelta(minutes=1)
    )
    assert deliver_confirmations(enrollment_ids=[enrollment.pk]).sent == 0  # not due yet: nothing is tried
    assert smtp.handler.data_count == 1

    smtp.handler.reply = None
    BatchEnrollment.objects.filter(pk=enrollment.pk).update(confirmation_email_next_attempt=timezone.now())
    deliver_confirmations(enrollment_ids=[enrollment.pk])
    enrollment = row(enrollment)
    assert (enrollment.confirmation_email_status, enrollment.confirmation_email_sent) == (EmailStatus.SENT, True)
    assert (enrollment.confirmation_email_attempts, enrollment.confirmation_email_error) == (2, "")
    assert len(smtp.received) == 1


def test_backoff_is_1_5_30_minutes_then_hourly():
    assert [retry_delay(n) for n in range(1, 9)] == [dt.timedelta(minutes=m) for m in (1, 5, 30, 60, 60, 60, 60, 60)]


def test_after_the_last_attempt_the_email_is_failed_with_the_last_error(smtp, batch, learner):
    enrollment = enroll_now(batch, learner)  # on-commit callbacks not run: still pending, untried
    smtp.handler.reply = "421 4.7.0 Too busy"
    BatchEnrollment.objects.filter(pk=enrollment.pk).update(confirmation_email_attempts=MAX_ATTEMPTS - 1)
    deliver_confirmations(enrollment_ids=[enrollment.pk])
    enrollment = row(enrollment)
    assert (enrollment.confirmation_email_status, enrollment.confirmation_email_sent) == (EmailStatus.FAILED, False)
    assert enrollment.confirmation_email_attempts == MAX_ATTEMPTS
    assert enrollment.confirmation_email_error.startswith("Failed after 8 attempts: ")
    assert "421" in enrollment.confirmation_email_error
    event = EnrollmentEvent.objects.get(kind=EventType.EMAIL_FAILED)
    assert event.enrollment_id == enrollment.pk and event.after == {"email": "confirmation", "attempts": 8}
    assert sweep_email_queue(now=timezone.now() + dt.timedelta(days=1)) == 0  # failed is final


def test_a_permanent_refusal_fails_at_once(smtp, batch, learner, django_capture_on_commit_callbacks):
    smtp.handler.reply = "550 5.1.1 No such user"
    with django_capture_on_commit_callbacks(execute=True):
        enrollment = enroll_now(batch, learner)
    enrollment = row(enrollment)
    assert enrollment.confirmation_email_status == EmailStatus.FAILED
    assert enrollment.confirmation_email_error == "Refused by the mail server: SMTPDataError: 550 5.1.1 No such user"
    assert enrollment.confirmation_email_attempts == 1


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"send_confirmation_emails": False}, "Not sent: confirmation emails are turned off in LMS Settings."),
        (
            {"batch_confirmation_template": None},
            "Not sent: no confirmation email template is configured in LMS Settings.",
        ),
    ],
)
def test_no_template_or_emails_off_is_skipped_with_the_reason(
    smtp, batch, learner, change, reason, django_capture_on_commit_callbacks
):
    LMSSettings.objects.filter(pk=1).update(**change)
    with django_capture_on_commit_callbacks(execute=True):
        enrollment = enroll_now(batch, learner)
    enrollment = row(enrollment)
    assert (enrollment.confirmation_email_status, enrollment.confirmation_email_error) == (EmailStatus.SKIPPED, reason)
    assert smtp.received == []


def test_notify_off_sends_nothing(smtp, batch, learner, mod, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        result = bulk_enroll(batch=batch, members=[learner.email], actor=mod, source=Source.IMPORT, notify=False)
    assert result.created == 1 and smtp.received == []
    enrollment = BatchEnrollment.objects.get()
    assert enrollment.confirmation_email_status == EmailStatus.SKIPPED
    assert sweep_email_queue(now=timezone.now() + dt.timedelta(hours=1)) == 0


def test_an_enrollment_cancelled_before_sending_is_skipped(smtp, batch, learner, mod):
    enrollment = enroll_now(batch, learner)
    cancel_enrollment(batch=batch, member=learner, actor=mod, reason="mistake")
    deliver_confirmations(enrollment_ids=[enrollment.pk])
    enrollment = row(enrollment)
    assert enrollment.confirmation_email_status == EmailStatus.SKIPPED
    assert enrollment.confirmation_email_error == "Not sent: the enrollment was cancelled before the email went out."
    assert smtp.received == []


def test_a_held_email_waits_for_the_password_then_goes_out(smtp, batch, django_capture_on_commit_callbacks):
    from smoothlms.notifications.services import release_held_emails

    LMSSettings.objects.filter(pk=1).update(hold_emails_until_password_set=True)
    newcomer = UserFactory(email="new@example.com", password=None)
    assert not newcomer.password_set
    with django_capture_on_commit_callbacks(execute=True):
        enrollment = enroll_now(batch, newcomer)
    enrollment = row(enrollment)
    assert (enrollment.confirmation_email_status, enrollment.confirmation_email_error) == (
        EmailStatus.PENDING,
        HELD_NOTE,
    )
    assert enrollment.confirmation_email_attempts == 0 and smtp.received == []
    assert sweep_email_queue(now=timezone.now() + dt.timedelta(hours=1)) == 0  # held: not swept

    with django_capture_on_commit_callbacks(execute=True):
        newcomer.set_password("a new secret 42")
        newcomer.save()
        assert release_held_emails(user=newcomer) == 1
    assert row(enrollment).confirmation_email_status == EmailStatus.SENT
    assert smtp.per_recipient() == {"new@example.com": 1}


def test_release_of_a_user_without_held_emails_queues_nothing(smtp, batch, learner):
    from smoothlms.notifications.services import release_held_emails

    assert release_held_emails(user=learner) == 0


@pytest.mark.django_db(transaction=True)
def test_two_workers_on_the_same_rows_send_each_message_once(smtp, batch):
    members = [UserFactory(email=f"pair{n}@example.com") for n in range(6)]
    LMSSettings.objects.filter(pk=1).update(send_confirmation_emails=False)  # enroll without sending...
    for member in members:
        enroll_now(batch, member)
    LMSSettings.objects.filter(pk=1).update(send_confirmation_emails=True)
    BatchEnrollment.objects.update(confirmation_email_status=EmailStatus.PENDING, confirmation_email_error="")
    ids = list(BatchEnrollment.objects.values_list("pk", flat=True))
    smtp.handler.delay = 0.1  # ...then two workers race over the same six pending rows

    def work(_):
        try:
            deliver_confirmations(enrollment_ids=ids)
        finally:
            connection.close()

    run_in_threads(work, range(2))
    assert smtp.per_recipient() == {member.email: 1 for member in members}
    assert BatchEnrollment.objects.filter(confirmation_email_sent=True).count() == 6
    assert EnrollmentEvent.objects.filter(kind=EventType.EMAIL_SENT).count() == 6


def test_a_claimed_row_is_left_alone_until_its_claim_expires(smtp, batch, learner):
    enrollment = enroll_now(batch, learner)
    lease = timezone.now() + dt.timedelta(seconds=CLAIM_SECONDS)  # a worker claimed it, then died
    BatchEnrollment.objects.filter(pk=enrollment.pk).update(
        confirmation_email_next_attempt=lease, confirmation_email_attempts=1
    )
    assert deliver_confirmations(enrollment_ids=[enrollment.pk]).sent == 0
    assert sweep_email_queue() == 0 and smtp.received == []

    assert sweep_email_queue(now=lease + dt.timedelta(seconds=1)) == 1  # lease over: the sweep hands it on
    BatchEnrollment.objects.filter(pk=enrollment.pk).update(confirmation_email_next_attempt=timezone.now())
    deliver_confirmations(enrollment_ids=[enrollment.pk])
    assert row(enrollment).confirmation_email_status == EmailStatus.SENT
    assert row(enrollment).confirmation_email_attempts == 2
    assert smtp.per_recipient() == {"asha@example.com": 1}


def test_smtp_down_then_back_up_the_sweep_delivers_all_twenty_exactly_once(
    smtp, batch, mod, django_capture_on_commit_callbacks
):
    members = [UserFactory(email=f"hire{n:02d}@example.com") for n in range(20)]
    smtp.stop()
    with django_capture_on_commit_callbacks(execute=True):
        result = bulk_enroll(batch=batch, members=[m.email for m in members], actor=mod, source=Source.DESK)
    assert result.created == 20
    rows = BatchEnrollment.objects.all()
    assert {(r.confirmation_email_status, r.confirmation_email_sent, r.confirmation_email_attempts) for r in rows} == {
        (EmailStatus.PENDING, False, 1)
    }
    assert all("ConnectionRefusedError" in r.confirmation_email_error for r in rows)
    assert sweep_email_queue() == 0  # the backoff has not passed

    smtp.start()
    # The minute of backoff passes (moved here rather than waited for).
    BatchEnrollment.objects.update(confirmation_email_next_attempt=timezone.now() - dt.timedelta(seconds=1))
    assert sweep_email_queue() == 20
    assert sweep_email_queue(now=timezone.now() + dt.timedelta(days=1)) == 0
    assert smtp.per_recipient() == {m.email: 1 for m in members}
    assert (
        BatchEnrollment.objects.filter(confirmation_email_status=EmailStatus.SENT, confirmation_email_sent=True).count()
        == 20
    )


def test_the_sweep_leaves_fresh_rows_to_their_own_task_and_takes_lost_ones(smtp, batch, learner):
    enrollment = enroll_now(batch, learner)  # its on-commit task never ran: a lost enqueue
    assert sweep_email_queue() == 0
    assert sweep_email_queue(now=timezone.now() + dt.timedelta(minutes=3)) == 1
    assert row(enrollment).confirmation_email_status == EmailStatus.SENT
    assert smtp.per_recipient() == {"asha@example.com": 1}


def test_a_disabled_user_is_skipped(smtp, batch, learner):
    from smoothlms.people.models import User

    enrollment = enroll_now(batch, learner)
    User.objects.filter(pk=learner.pk).update(enabled=False)
    deliver_confirmations(enrollment_ids=[enrollment.pk])
    assert row(enrollment).confirmation_email_status == EmailStatus.SKIPPED
    assert row(enrollment).confirmation_email_error == "Not sent: the user asha@example.com is disabled."


def test_delivery_queries_grow_only_with_the_writes_each_message_needs(
    batch, live_class, mod, mailoutbox, django_assert_num_queries
):
    members = [UserFactory() for _ in range(10)]
    bulk_enroll(batch=batch, members=[m.email for m in members], actor=mod, source=Source.DESK)
    ids = list(BatchEnrollment.objects.values_list("pk", flat=True))
    # rows, settings, the cohort's courses and live classes; then per message: the claim, and the
    # sent mark with its audit event in one transaction (savepoint, update, insert, release).
    with django_assert_num_queries(4 + 10 * 5):
        assert deliver_confirmations(enrollment_ids=ids).sent == 10
    assert len(mailoutbox) == 10
