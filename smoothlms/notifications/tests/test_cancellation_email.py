"""Every cancellation tells the member once, over SMTP, with LMS Settings' cancellation template
and, when they had a seat, a calendar cancellation of the invitation's events."""

import pytest
from django.db import transaction
from icalendar import Calendar

from smoothlms.catalog.models import Batch, LMSSettings
from smoothlms.catalog.tests.factories import BatchFactory
from smoothlms.enrollment.errors import CannotCancelOthers
from smoothlms.enrollment.models import BatchEnrollment, Source
from smoothlms.enrollment.services import cancel_enrollment, enroll
from smoothlms.enrollment.services.cancel import cancel_own_enrollment, withdraw_disabled_user
from smoothlms.enrollment.services.transfer import transfer_enrollment
from smoothlms.notifications.delivery import deliver_cancellations
from smoothlms.notifications.ics import calendar_host
from smoothlms.notifications.models import CancellationNotice
from smoothlms.notifications.services import requeue_pending_cancellations
from smoothlms.people.models import User
from smoothlms.people.tests.factories import UserFactory


def _cancellations(smtp):
    return [r for r in smtp.received if r.message["Subject"].startswith("Cancelled: ")]


def _calendar(received) -> Calendar | None:
    for part in received.message.walk():
        if part.get_content_type() == "text/calendar":
            return Calendar.from_ical(part.get_payload(decode=True))
    return None


def _body(received) -> str:
    return received.message.get_body(preferencelist=("plain",)).get_content()


def test_moderator_cancel_sends_one_email_with_a_calendar_cancellation(
    smtp, batch, live_class, learner, mod, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        enroll(batch=batch, member=learner, actor=None, source=Source.DESK)
    invitation = _calendar(smtp.received[0])
    with django_capture_on_commit_callbacks(execute=True):
        cancel_enrollment(batch=batch, member=learner, actor=mod)
    [sent] = _cancellations(smtp)
    assert sent.recipients == ["asha@example.com"]
    assert sent.message["Subject"] == "Cancelled: New Hire Week 12"
    assert "Why: A moderator cancelled it." in _body(sent)
    calendar = _calendar(sent)
    assert calendar["method"] == "CANCEL"
    [event] = [c for c in calendar.walk() if c.name == "VEVENT"]
    [invited] = [c for c in invitation.walk() if c.name == "VEVENT"]
    assert str(event["uid"]) == str(invited["uid"]) == f"liveclass-{live_class.pk}@{calendar_host()}"
    assert str(event["status"]) == "CANCELLED"
    assert int(event["sequence"]) == int(invited["sequence"]) + 1
    row = BatchEnrollment.objects.get(batch=batch, member=learner)
    notice = CancellationNotice.objects.get(enrollment=row)
    assert (notice.status, notice.attempts) == ("sent", 1)
    # a re-run of delivery and the sweep send nothing more
    assert deliver_cancellations(enrollment_ids=[row.pk]).sent == 0
    assert requeue_pending_cancellations() == 0
    assert len(_cancellations(smtp)) == 1


def test_a_cohort_without_live_classes_cancels_the_cohorts_own_event(
    smtp, batch, learner, mod, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        enroll(batch=batch, member=learner, actor=None, source=Source.DESK)
        cancel_enrollment(batch=batch, member=learner, actor=mod, reason="Budget freeze")
    [sent] = _cancellations(smtp)
    assert "Why: A moderator cancelled it: Budget freeze" in _body(sent)
    [event] = [c for c in _calendar(sent).walk() if c.name == "VEVENT"]
    assert str(event["uid"]) == f"batch-{batch.pk}@{calendar_host()}"


def test_self_cancel_of_a_waitlist_place_has_no_calendar(smtp, batch, learner, django_capture_on_commit_callbacks):
    Batch.objects.filter(pk=batch.pk).update(seat_count=1, waitlist_enabled=True, allow_self_cancel=True)
    batch.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        enroll(batch=batch, member=UserFactory(), actor=None, source=Source.DESK)
        enroll(batch=batch, member=learner, actor=None, source=Source.DESK)
        cancel_own_enrollment(batch=batch, member=learner)
    [sent] = _cancellations(smtp)
    assert sent.recipients == ["asha@example.com"]
    assert "Why: You cancelled it yourself." in _body(sent)
    assert _calendar(sent) is None


def test_disabled_user_is_told(smtp, batch, learner, mod, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        enroll(batch=batch, member=learner, actor=None, source=Source.DESK)
        with transaction.atomic():
            User.objects.filter(pk=learner.pk).update(enabled=False)
            withdraw_disabled_user(user=learner, actor=mod)
    [sent] = _cancellations(smtp)
    assert "Why: Your account was disabled." in _body(sent)


def test_transfer_out_is_a_cancellation_of_the_source(smtp, batch, learner, mod, django_capture_on_commit_callbacks):
    target = BatchFactory(title="New Hire Week 13", start_date=batch.start_date, end_date=batch.end_date)
    with django_capture_on_commit_callbacks(execute=True):
        enroll(batch=batch, member=learner, actor=None, source=Source.DESK)
        transfer_enrollment(batch=batch, member=learner, to_batch=target, actor=mod, reason="Clash")
    [sent] = _cancellations(smtp)
    assert sent.message["Subject"] == "Cancelled: New Hire Week 12"
    assert "moved you to another cohort" in _body(sent)


def test_skipped_not_eligible_member_is_told_why(smtp, batch, learner, mod, django_capture_on_commit_callbacks):
    Batch.objects.filter(pk=batch.pk).update(seat_count=1, waitlist_enabled=True)
    batch.refresh_from_db()
    seated, after = UserFactory(email="first@example.com"), UserFactory(email="next@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        for member in (seated, learner, after):
            enroll(batch=batch, member=member, actor=None, source=Source.DESK)
    User.objects.filter(pk=learner.pk).update(enabled=False)
    with django_capture_on_commit_callbacks(execute=True):
        cancel_enrollment(batch=batch, member=seated, actor=mod)
    assert sorted(r.recipients[0] for r in _cancellations(smtp)) == ["asha@example.com", "first@example.com"]
    [told] = [r for r in _cancellations(smtp) if r.recipients == ["asha@example.com"]]
    assert "the place went to the next person in line" in _body(told)
    assert BatchEnrollment.objects.get(batch=batch, member=after).status == "active"


def test_refused_cancel_writes_and_sends_nothing(smtp, batch, learner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        enroll(batch=batch, member=learner, actor=None, source=Source.DESK)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(CannotCancelOthers):
        cancel_enrollment(batch=batch, member=learner, actor=UserFactory())
    assert CancellationNotice.objects.count() == 0
    assert _cancellations(smtp) == []


def test_without_a_template_the_notice_is_skipped_with_the_reason(
    smtp, batch, learner, mod, django_capture_on_commit_callbacks
):
    LMSSettings.objects.filter(pk=1).update(cancellation_template=None)
    with django_capture_on_commit_callbacks(execute=True):
        enroll(batch=batch, member=learner, actor=None, source=Source.DESK)
        cancel_enrollment(batch=batch, member=learner, actor=mod)
    notice = CancellationNotice.objects.get()
    assert notice.status == "skipped"
    assert "no cancellation email template" in notice.error
    assert _cancellations(smtp) == []
