"""The cohort page's waitlist (in order, "Promote now" for the roles that may enroll) and the
waitlist lengths on /desk/learning."""

import pytest
from django.urls import reverse

from smoothlms.catalog.models import Batch
from smoothlms.core.models import EnrollmentEvent, EventType
from smoothlms.desk.addresses import record_key
from smoothlms.desk.tests.conftest import messages_of
from smoothlms.enrollment.models import BatchEnrollment
from smoothlms.enrollment.services import enroll

pytestmark = pytest.mark.django_db


@pytest.fixture
def waiting(cohort, learners):
    """`cohort` with 1 seat, taken by l0; l1, l2, l3 waiting in that order."""
    Batch.objects.filter(pk=cohort.pk).update(seat_count=1, waitlist_enabled=True)
    cohort.refresh_from_db()
    for member in learners:
        enroll(batch=cohort, member=member, actor=None, source="desk")
    return cohort


def _promote_url(batch):
    return reverse("admin:catalog_batch_promote", args=[record_key(batch)])


def _row(batch, email):
    return BatchEnrollment.objects.get(batch=batch, member__email=email)


def test_cohort_page_lists_the_waitlist_in_order_with_promote_now(mod_client, waiting):
    html = mod_client.get(f"/app/catalog/batch/{waiting.pk}/change/").content.decode()
    section = html[html.index('id="waitlist"') :]
    assert section.index("l1@example.com") < section.index("l2@example.com") < section.index("l3@example.com")
    assert "<th>Position</th><th>Member</th><th>Joined at</th>" in section
    assert section.count("Promote now</button>") == 3


def test_promote_now_with_a_free_seat_and_a_reason_past_the_queue(mod_client, waiting, mod):
    Batch.objects.filter(pk=waiting.pk).update(seat_count=2)  # a free seat nobody took yet
    response = mod_client.post(
        _promote_url(waiting),
        {"enrollment": _row(waiting, "l3@example.com").pk, "reason": "Team lead asked"},
        follow=True,
    )
    assert messages_of(response) == ["l3@example.com now has a seat in New Hires."]
    row = _row(waiting, "l3@example.com")
    assert row.status == "active"
    event = EnrollmentEvent.objects.get(enrollment=row, kind=EventType.PROMOTED)
    assert (event.actor, event.reason, event.after["passed"]) == (mod, "Team lead asked", 2)


def test_promote_now_refused_when_full_shows_the_message_and_changes_nothing(mod_client, waiting):
    response = mod_client.post(_promote_url(waiting), {"enrollment": _row(waiting, "l1@example.com").pk}, follow=True)
    assert messages_of(response) == ["This cohort is full."]
    assert _row(waiting, "l1@example.com").status == "waitlisted"
    assert Batch.objects.get(pk=waiting.pk).seats_taken == 1


def test_roles_that_may_not_enroll_see_no_promote_and_cannot_post(evaluator_client, waiting):
    page = evaluator_client.get(f"/app/catalog/batch/{waiting.pk}/change/")
    assert "Promote now</button>" not in page.content.decode()
    Batch.objects.filter(pk=waiting.pk).update(seat_count=2)
    response = evaluator_client.post(_promote_url(waiting), {"enrollment": _row(waiting, "l1@example.com").pk})
    assert response.status_code == 403
    assert _row(waiting, "l1@example.com").status == "waitlisted"


def test_dashboard_shows_waitlist_lengths(mod_client, waiting):
    html = mod_client.get("/desk/learning").content.decode()
    assert "<th>Waitlist</th>" in html
    assert "3 waiting</a>" in html
