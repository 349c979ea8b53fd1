"""Resend, queue health and reminders."""

import datetime as dt

import pytest
from django.utils import timezone

from smoothlms.catalog.models import LMSSettings
from smoothlms.catalog.tests.factories import BatchFactory
from smoothlms.core.models import EnrollmentEvent, EventType
from smoothlms.core.timeutil import local_instant
from smoothlms.enrollment.models import BatchEnrollment, EmailStatus, Source
from smoothlms.enrollment.services import cancel_enrollment, enroll
from smoothlms.notifications import errors
from smoothlms.notifications.delivery import deliver_reminders
from smoothlms.notifications.models import ReminderDelivery
from smoothlms.notifications.selectors import get_email_queue_health, list_due_reminders
from smoothlms.notifications.services import resend_confirmation
from smoothlms.people.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def enroll_now(batch, member, **kwargs):
    return enroll(batch=batch, member=member, actor=None, source=Source.DESK, **kwargs)


# Resend ---------------------------------------------------------------------------------------


def test_resend_sends_the_confirmation_again(smtp, batch, learner, mod, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        enrollment = enroll_now(batch, learner)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        pending = resend_confirmation(enrollment=enrollment, actor=mod)
    assert (pending.confirmation_email_status, pending.confirmation_email_sent) == (EmailStatus.PENDING, False)
    assert (pending.confirmation_email_attempts, pending.confirmation_email_error) == (0, "")
    assert len(callbacks) == 1
    callbacks[0]()
    sent = BatchEnrollment.objects.get(pk=enrollment.pk)
    assert (sent.confirmation_email_status, sent.confirmation_email_sent) == (EmailStatus.SENT, True)
    first, second = smtp.received
    assert first.recipients == second.recipients == ["asha@example.com"]
    assert first.message["Message-ID"] != second.message["Message-ID"]  # a new message, not a duplicate
    assert EnrollmentEvent.objects.filter(kind=EventType.EMAIL_SENT).count() == 2


def test_resend_of_a_failed_email_starts_over(smtp, batch, learner, mod, django_capture_on_commit_callbacks):
    smtp.handler.reply = "550 5.1.1 No such user"
    with django_capture_on_commit_callbacks(execute=True):
        enrollment = enroll_now(batch, learner)
    assert BatchEnrollment.objects.get(pk=enrollment.pk).confirmation_email_status == EmailStatus.FAILED
    smtp.handler.reply = None
    with django_capture_on_commit_callbacks(execute=True):
        resend_confirmation(enrollment=enrollment, actor=mod)
    assert BatchEnrollment.objects.get(pk=enrollment.pk).confirmation_email_status == EmailStatus.SENT
    assert smtp.per_recipient() == {"asha@example.com": 1}


def test_resend_refuses_a_cancelled_enrollment(smtp, batch, learner, mod, django_capture_on_commit_callbacks):
    enrollment = enroll_now(batch, learner)
    cancel_enrollment(batch=batch, member=learner, actor=mod, reason="left")
    before = BatchEnrollment.objects.filter(pk=enrollment.pk).values().get()
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(errors.EnrollmentNotActive) as caught,
    ):
        resend_confirmation(enrollment=enrollment, actor=mod)
    assert caught.value.code == "enrollment_not_active"
    assert caught.value.user_message() == (
        "Only an active enrollment gets a confirmation email; asha@example.com is cancelled in this cohort."
    )
    assert BatchEnrollment.objects.filter(pk=enrollment.pk).values().get() == before
    assert callbacks == [] and smtp.received == []


@pytest.mark.parametrize(
    ("change", "error", "code", "message"),
    [
        (
            {"send_confirmation_emails": False},
            errors.EmailsTurnedOff,
            "emails_turned_off",
            "Confirmation emails are turned off in LMS Settings.",
        ),
        (
            {"batch_confirmation_template": None},
            errors.NoConfirmationTemplate,
            "no_confirmation_template",
            "No confirmation email template is configured in LMS Settings.",
        ),
    ],
)
def test_resend_refuses_when_nothing_could_be_sent(smtp, batch, learner, mod, change, error, code, message):
    enrollment = enroll_now(batch, learner)
    LMSSettings.objects.filter(pk=1).update(**change)
    with pytest.raises(error) as caught:
        resend_confirmation(enrollment=enrollment, actor=mod)
    assert (caught.value.code, caught.value.user_message()) == (code, message)


# Queue health ---------------------------------------------------------------------------------


def test_queue_health_counts_pending_held_and_failed(batch, django_assert_num_queries):
    members = [UserFactory() for _ in range(4)]
    rows = [enroll_now(batch, member) for member in members]  # on-commit tasks not run: all pending
    BatchEnrollment.objects.filter(pk=rows[0].pk).update(confirmation_email_status=EmailStatus.FAILED)
    BatchEnrollment.objects.filter(pk=rows[1].pk).update(
        confirmation_email_status=EmailStatus.SENT, confirmation_email_sent=True
    )
    oldest = timezone.now() - dt.timedelta(hours=5)
    BatchEnrollment.objects.filter(pk=rows[2].pk).update(created_at=oldest)
    with django_assert_num_queries(2):
        health = get_email_queue_health()
    assert (health.pending, health.held, health.failed, health.oldest_pending_at) == (2, 0, 1, oldest)

    LMSSettings.objects.filter(pk=1).update(hold_emails_until_password_set=True)
    members[3].set_unusable_password()
    type(members[3]).objects.filter(pk=members[3].pk).update(password_set=False)
    with django_assert_num_queries(2):
        assert get_email_queue_health().held == 1


def test_queue_health_of_an_empty_queue(db):
    health = get_email_queue_health()
    assert (health.pending, health.held, health.failed, health.oldest_pending_at) == (0, 0, 0, None)


# Reminders ------------------------------------------------------------------------------------


@pytest.fixture
def tomorrow_batches(courses):
    """Two cohorts starting the same day at 09:00 local: Asia/Kolkata (03:30 UTC) and
    America/New_York; the reminder hour is 9 in each cohort's zone on the day before."""
    start = timezone.localdate() + dt.timedelta(days=10)
    kolkata = BatchFactory(
        title="Kolkata",
        timezone="Asia/Kolkata",
        start_date=start,
        start_time=dt.time(9),
        end_date=start + dt.timedelta(days=5),
        courses=courses,
    )
    new_york = BatchFactory(
        title="New York",
        timezone="America/New_York",
        start_date=start,
        start_time=dt.time(9),
        end_date=start + dt.timedelta(days=5),
        courses=courses,
    )
    return kolkata, new_york


def reminder_at(batch, hour=9):
    return local_instant(batch.start_date - dt.timedelta(days=1), dt.time(hour), batch.timezone)


def test_a_reminder_goes_out_once_at_the_reminder_hour_in_the_cohort_zone(smtp, tomorrow_batches):
    kolkata, new_york = tomorrow_batches
    members = [UserFactory(email=f"m{n}@example.com") for n in range(3)]
    for member in members:
        enroll_now(kolkata, member)
    enroll_now(new_york, members[0])
    cancel_enrollment(batch=kolkata, member=members[2], actor=None, reason="moved")
    at = reminder_at(kolkata)
    assert at.astimezone(dt.UTC).time() == dt.time(3, 30)  # 09:00 in Kolkata

    assert deliver_reminders(now=at - dt.timedelta(minutes=1)).sent == 0
    assert deliver_reminders(now=at + dt.timedelta(minutes=1)).sent == 2  # New York's hour is still ahead
    assert deliver_reminders(now=at + dt.timedelta(minutes=2)).sent == 0  # once per member
    assert smtp.per_recipient() == {"m0@example.com": 1, "m1@example.com": 1}
    message = smtp.received[0].message
    assert message["Subject"] == "Reminder: Kolkata starts tomorrow"
    assert "09:00 (Asia/Kolkata)" in message.get_body(preferencelist=("plain",)).get_content()
    assert BatchEnrollment.objects.filter(batch=kolkata, reminder_sent_at__isnull=False).count() == 2
    assert EnrollmentEvent.objects.filter(kind=EventType.EMAIL_SENT, after__email="reminder").count() == 2

    assert deliver_reminders(now=reminder_at(new_york) + dt.timedelta(minutes=1)).sent == 1
    assert smtp.per_recipient()["m0@example.com"] == 2  # one reminder per cohort


def test_no_reminder_once_the_cohort_started_or_for_late_enrollments(smtp, tomorrow_batches):
    kolkata, _ = tomorrow_batches
    early, late = UserFactory(), UserFactory()
    enroll_now(kolkata, early)
    late_row = enroll_now(kolkata, late)
    at = reminder_at(kolkata)
    BatchEnrollment.objects.filter(pk=late_row.pk).update(created_at=at + dt.timedelta(hours=2))
    assert [e.member for e in list_due_reminders(now=at + dt.timedelta(hours=3))] == [early]  # late: fresh confirmation
    assert list_due_reminders(now=kolkata.starts_at) == []
    assert list_due_reminders(now=at - dt.timedelta(seconds=1)) == []


def test_no_reminders_when_emails_are_off_or_the_confirmation_was_skipped(smtp, tomorrow_batches):
    kolkata, _ = tomorrow_batches
    quiet, other = UserFactory(), UserFactory()
    enroll_now(kolkata, quiet, notify=False)
    enroll_now(kolkata, other)
    at = reminder_at(kolkata) + dt.timedelta(minutes=1)
    assert [e.member for e in list_due_reminders(now=at)] == [other]
    LMSSettings.objects.filter(pk=1).update(send_confirmation_emails=False)
    assert list_due_reminders(now=at) == []


def test_a_failed_reminder_is_retried_and_never_sent_twice(smtp, tomorrow_batches):
    kolkata, _ = tomorrow_batches
    member = UserFactory(email="retry@example.com")
    enrollment = enroll_now(kolkata, member)
    at = reminder_at(kolkata) + dt.timedelta(minutes=1)
    smtp.handler.reply = "451 4.3.0 Try again later"
    assert deliver_reminders(now=at).retrying == 1
    delivery = ReminderDelivery.objects.get(enrollment=enrollment)
    assert delivery.attempts == 1 and delivery.sent_at is None and "451" in delivery.error
    assert deliver_reminders(now=at).sent == 0  # backoff: not due yet

    smtp.handler.reply = None
    ReminderDelivery.objects.filter(pk=delivery.pk).update(claimed_until=timezone.now())
    assert deliver_reminders(now=at).sent == 1
    assert deliver_reminders(now=at + dt.timedelta(hours=1)).sent == 0
    assert smtp.per_recipient() == {"retry@example.com": 1}
    delivery.refresh_from_db()
    assert (delivery.attempts, delivery.error) == (2, "")
    assert BatchEnrollment.objects.get(pk=enrollment.pk).reminder_sent_at == delivery.sent_at


def test_the_due_lists_read_in_a_fixed_number_of_queries(tomorrow_batches, django_assert_num_queries):
    from smoothlms.notifications.selectors import list_due_confirmation_ids

    kolkata, new_york = tomorrow_batches
    for member in [UserFactory() for _ in range(5)]:
        enroll_now(kolkata, member)
        enroll_now(new_york, member)
    later = timezone.now() + dt.timedelta(minutes=3)
    with django_assert_num_queries(2):
        assert len(list_due_confirmation_ids(now=later, limit=100)) == 10
    with django_assert_num_queries(3):
        due = list_due_reminders(now=reminder_at(kolkata) + dt.timedelta(minutes=1))
        assert [(e.batch.title, e.member.email) for e in due] == [("Kolkata", e.member.email) for e in due]
    assert len(due) == 5
