"""The desk's "Promote now": a seat for one waitlisted member, never past the seat count, and past
the queue only with a reason, audited."""

import pytest

from smoothlms.catalog.models import Batch
from smoothlms.catalog.tests.factories import BatchFactory
from smoothlms.core.models import EnrollmentEvent, EventType
from smoothlms.enrollment import errors
from smoothlms.enrollment.models import BatchEnrollment, CourseEnrollment, Source
from smoothlms.enrollment.selectors import list_waitlist
from smoothlms.enrollment.services import enroll, promote_now
from smoothlms.people.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def full(courses):
    """2 seats taken, 3 waiting."""
    batch = BatchFactory(courses=courses, seat_count=2, waitlist_enabled=True)
    for member in (UserFactory(), UserFactory()):
        enroll(batch=batch, member=member, actor=None, source=Source.DESK)
    batch.waiting = [UserFactory() for _ in range(3)]
    for member in batch.waiting:
        enroll(batch=batch, member=member, actor=member, source=Source.PORTAL)
    return batch


def _free_a_seat(batch):
    # as when the cohort was unpublished while a seat freed: a free seat with members waiting
    Batch.objects.filter(pk=batch.pk).update(seat_count=3)
    batch.refresh_from_db()


def _state(batch):
    return (
        list(BatchEnrollment.objects.filter(batch=batch).order_by("pk").values_list("status", flat=True)),
        Batch.objects.get(pk=batch.pk).seats_taken,
        EnrollmentEvent.objects.count(),
    )


def test_promote_the_head_of_the_queue_into_a_free_seat(full, mod):
    _free_a_seat(full)
    first = full.waiting[0]
    row = promote_now(batch=full, member=first, actor=mod)
    assert (row.status, full.seats_taken) == ("active", 3)
    assert row.promoted_at is not None
    assert set(CourseEnrollment.objects.filter(member=first).values_list("status", flat=True)) == {"active"}
    event = EnrollmentEvent.objects.filter(enrollment=row, kind=EventType.PROMOTED).get()
    assert (event.actor, event.after["by_hand"], event.after["passed"]) == (mod, True, 0)
    assert [r.waitlist_position for r in list_waitlist(batch=full)] == [1, 2]


def test_promote_past_the_queue_needs_a_reason_and_records_it(full, mod):
    _free_a_seat(full)
    third = full.waiting[2]
    before = _state(full)
    with pytest.raises(errors.PromotionReasonRequired) as refused:
        promote_now(batch=full, member=third, actor=mod)
    assert refused.value.code == "promotion_reason_required"
    assert _state(full) == before
    row = promote_now(batch=full, member=third, actor=mod, reason="Needed before the audit")
    assert row.status == "active"
    event = EnrollmentEvent.objects.filter(enrollment=row, kind=EventType.PROMOTED).get()
    assert (event.reason, event.after["passed"]) == ("Needed before the audit", 2)
    assert [r.member for r in list_waitlist(batch=full)] == full.waiting[:2]


def test_a_full_cohort_refuses_cohort_full_and_nothing_changes(full, mod):
    before = _state(full)
    with pytest.raises(errors.CohortFull):
        promote_now(batch=full, member=full.waiting[0], actor=mod, reason="VIP")
    assert _state(full) == before


def test_refused_for_a_learner_a_member_not_waiting_or_disabled(full, mod):
    _free_a_seat(full)
    stranger = UserFactory()
    before = _state(full)
    with pytest.raises(errors.CannotEnrollOthers):
        promote_now(batch=full, member=full.waiting[0], actor=full.waiting[1])
    with pytest.raises(errors.NotWaitlisted):
        promote_now(batch=full, member=stranger, actor=mod)
    full.waiting[0].__class__.objects.filter(pk=full.waiting[0].pk).update(enabled=False)
    with pytest.raises(errors.UserDisabled):
        promote_now(batch=full, member=full.waiting[0], actor=mod)
    assert _state(full) == before
