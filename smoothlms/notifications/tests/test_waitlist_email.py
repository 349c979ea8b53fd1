"""A seat from the waitlist is announced once, with LMS Settings' "You have a seat" template, over SMTP."""

from smoothlms.catalog.models import Batch
from smoothlms.enrollment.models import BatchEnrollment, Source
from smoothlms.enrollment.services import cancel_enrollment, enroll
from smoothlms.notifications.delivery import deliver_confirmations
from smoothlms.people.tests.factories import UserFactory


def test_promoted_member_gets_you_have_a_seat_exactly_once(
    smtp, batch, learner, mod, django_capture_on_commit_callbacks
):
    Batch.objects.filter(pk=batch.pk).update(seat_count=1, waitlist_enabled=True)
    batch.refresh_from_db()
    seated = UserFactory(email="first@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        enroll(batch=batch, member=seated, actor=None, source=Source.DESK)
        enroll(batch=batch, member=learner, actor=None, source=Source.DESK)  # waitlisted: no email yet
    assert [r.recipients for r in smtp.received] == [["first@example.com"]]
    with django_capture_on_commit_callbacks(execute=True):
        cancel_enrollment(batch=batch, member=seated, actor=mod)
    seats = [r for r in smtp.received[1:] if not r.message["Subject"].startswith("Cancelled: ")]
    assert [r.recipients for r in seats] == [["asha@example.com"]]
    assert seats[0].message["Subject"] == "You have a seat in New Hire Week 12"
    row = BatchEnrollment.objects.get(batch=batch, member=learner)
    assert (row.status, row.confirmation_email_sent) == ("active", True)
    deliver_confirmations(enrollment_ids=[row.pk])  # run again (a retry, the sweep): nothing more is sent
    assert len(smtp.received) == 3  # the confirmation, the cancellation of the first, the seat
