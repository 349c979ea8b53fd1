"""Resend confirmation from the enrollment list: queued through the notifications service."""

import pytest

from smoothlms.core.models import EnrollmentEvent, EventType
from smoothlms.enrollment.models import BatchEnrollment, EmailStatus
from smoothlms.enrollment.services import cancel_enrollment, enroll

pytestmark = pytest.mark.django_db

CHANGELIST = "/app/enrollment/batchenrollment/"


def test_resend_sends_the_confirmation_again(
    mod_client, mod, cohort, learners, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        enrollment = enroll(batch=cohort, member=learners[0], actor=mod, source="desk")
    assert len(mailoutbox) == 1
    with django_capture_on_commit_callbacks(execute=True):
        response = mod_client.post(
            CHANGELIST, {"action": "resend_confirmations", "_selected_action": [enrollment.pk]}, follow=True
        )
    assert "Queued 1 confirmation email." in response.content.decode()
    assert len(mailoutbox) == 2 and mailoutbox[1].to == [learners[0].email]
    enrollment.refresh_from_db()
    assert enrollment.confirmation_email_status == EmailStatus.SENT
    assert EnrollmentEvent.objects.filter(kind=EventType.EMAIL_RESEND_REQUESTED, actor=mod).count() == 1


def test_resend_refuses_cancelled_enrollments_with_a_message(mod_client, mod, cohort, learners, mailoutbox):
    enrollment = enroll(batch=cohort, member=learners[0], actor=mod, source="desk", notify=False)
    cancel_enrollment(batch=cohort, member=learners[0], actor=mod)
    response = mod_client.post(
        CHANGELIST, {"action": "resend_confirmations", "_selected_action": [enrollment.pk]}, follow=True
    )
    assert learners[0].email in response.content.decode() and "Queued" not in response.content.decode()
    assert BatchEnrollment.objects.get(pk=enrollment.pk).confirmation_email_status == EmailStatus.SKIPPED
    assert mailoutbox == []
