"""Access follows enrollment, and the waitlist (CONTRACT.md sections 11 and 14), at the service level."""

import datetime as dt

import pytest
from django.utils import timezone

from smoothlms.catalog.models import Batch
from smoothlms.catalog.tests.factories import BatchFactory, CourseFactory
from smoothlms.core.models import EnrollmentEvent, EventType
from smoothlms.enrollment import errors
from smoothlms.enrollment.models import BatchEnrollment, CourseEnrollment, Source
from smoothlms.enrollment.selectors import get_waitlist_position, list_batches_for, list_waitlist
from smoothlms.enrollment.services import (
    bulk_enroll,
    cancel_enrollment,
    cancel_own_enrollment,
    duplicate_batch,
    enroll,
    replace_enrollment,
    transfer_enrollment,
    update_batch,
    withdraw_disabled_user,
)
from smoothlms.people.roles import Role
from smoothlms.people.services import set_user_enabled, set_user_roles
from smoothlms.people.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def access(member):
    return dict(CourseEnrollment.objects.filter(member=member).values_list("course__name", "status"))


def status(batch, member):
    return BatchEnrollment.objects.get(batch=batch, member=member).status


def positions(batch):
    return [(row.member.email, row.waitlist_position) for row in list_waitlist(batch=batch)]


@pytest.fixture
def full(courses):
    """A cohort of 2 seats, both taken, with its waitlist on."""
    batch = BatchFactory(courses=courses, seat_count=2, waitlist_enabled=True, allow_self_cancel=True)
    for member in (UserFactory(), UserFactory()):
        enroll(batch=batch, member=member, actor=None, source=Source.DESK)
    return batch


def join(batch, n):
    members = [UserFactory() for _ in range(n)]
    for member in members:
        enroll(batch=batch, member=member, actor=member, source=Source.PORTAL)
    return members


# A: access follows enrollment ------------------------------------------------------------------


def test_cancel_withdraws_course_access_and_reenrolling_restores_it_with_progress(batch, learner, courses):
    enroll(batch=batch, member=learner, actor=None, source=Source.DESK)
    CourseEnrollment.objects.filter(member=learner, course=courses[0]).update(progress=50)
    cancel_enrollment(batch=batch, member=learner, actor=None)
    assert set(access(learner).values()) == {"cancelled"}
    enroll(batch=batch, member=learner, actor=None, source=Source.DESK)
    assert set(access(learner).values()) == {"active"}
    assert CourseEnrollment.objects.get(member=learner, course=courses[0]).progress == 50


def test_cancel_keeps_a_course_that_another_active_cohort_gives(batch, learner, courses):
    other = BatchFactory(courses=[courses[0]], seat_count=5)
    enroll(batch=batch, member=learner, actor=None, source=Source.DESK)
    enroll(batch=other, member=learner, actor=None, source=Source.DESK)
    cancel_enrollment(batch=batch, member=learner, actor=None)
    assert access(learner) == {courses[0].name: "active", courses[1].name: "cancelled"}


def test_refused_cancel_changes_no_course_access(batch, learner):
    enroll(batch=batch, member=learner, actor=None, source=Source.DESK)
    with pytest.raises(errors.CannotCancelOthers):
        cancel_enrollment(batch=batch, member=learner, actor=UserFactory())
    assert set(access(learner).values()) == {"active"} and status(batch, learner) == "active"


def test_adding_a_course_to_a_cohort_grants_it_to_every_active_member(batch, courses, mod):
    members = join(batch, 2)
    cancel_enrollment(batch=batch, member=members[1], actor=None)
    added = CourseFactory()
    update_batch(batch=batch, actor=mod, courses=[*courses, added])
    assert access(members[0])[added.name] == "active"
    assert added.name not in access(members[1])


def test_a_refused_course_change_grants_nothing(batch, courses, mod):
    member = join(batch, 1)[0]
    with pytest.raises(errors.SeatCountBelowEnrolled):
        update_batch(batch=batch, actor=mod, courses=[*courses, CourseFactory()], seat_count=0)
    assert len(access(member)) == 2


def test_disabling_a_user_cancels_running_cohorts_and_keeps_ended_ones(batch, learner, courses):
    ended = BatchFactory(courses=[CourseFactory()], seat_count=5)
    enroll(batch=batch, member=learner, actor=None, source=Source.DESK)
    enroll(batch=ended, member=learner, actor=None, source=Source.DESK)
    today = timezone.localdate()
    Batch.objects.filter(pk=ended.pk).update(
        start_date=today - dt.timedelta(days=9), end_date=today - dt.timedelta(days=2)
    )
    set_user_enabled(user=learner, enabled=False, actor=None)
    assert withdraw_disabled_user(user=learner, actor=None) == [batch.pk]
    batch.refresh_from_db()
    assert (status(batch, learner), status(ended, learner), batch.seats_taken) == ("cancelled", "active", 0)
    event = EnrollmentEvent.objects.get(kind=EventType.CANCELLED, batch=batch)
    assert event.reason == "user_disabled"


def test_withdrawing_a_user_with_nothing_held_changes_nothing(batch, learner):
    assert withdraw_disabled_user(user=learner, actor=None) == []
    assert not BatchEnrollment.objects.exists() and not EnrollmentEvent.objects.filter(kind="cancelled").exists()


# B: the waitlist --------------------------------------------------------------------------------


def test_enrolling_into_a_full_cohort_with_the_waitlist_on_waitlists_in_order(full):
    first, second = join(full, 2)
    row = BatchEnrollment.objects.get(batch=full, member=second)
    full.refresh_from_db()
    assert (row.status, get_waitlist_position(enrollment=row), full.seats_taken) == ("waitlisted", 2, 2)
    assert positions(full) == [(first.email, 1), (second.email, 2)]
    assert access(second) == {} and row.confirmation_email_status == "skipped"
    assert EnrollmentEvent.objects.filter(kind=EventType.WAITLISTED).count() == 2
    cohort = list_batches_for(user=second).get(pk=full.pk)
    assert (cohort.waitlist_count, cohort.waitlist_position) == (2, 2)


def test_full_cohort_without_waitlist_still_refuses_and_changes_nothing(batch):
    join(batch, 3)
    late = UserFactory()
    with pytest.raises(errors.CohortFull):
        enroll(batch=batch, member=late, actor=late, source=Source.PORTAL)
    assert not BatchEnrollment.objects.filter(member=late).exists()


def test_waitlisted_member_enrolling_again_is_already_enrolled(full):
    member = join(full, 1)[0]
    with pytest.raises(errors.AlreadyEnrolled):
        enroll(batch=full, member=member, actor=member, source=Source.PORTAL)
    assert positions(full) == [(member.email, 1)]


@pytest.mark.parametrize("path", ["moderator", "self", "disabled"])
def test_every_freed_seat_promotes_exactly_the_first_waitlisted(full, path, django_capture_on_commit_callbacks):
    seated = BatchEnrollment.objects.filter(batch=full, status="active").order_by("pk").first().member
    first, second = join(full, 2)
    with django_capture_on_commit_callbacks(execute=True):
        if path == "moderator":
            cancel_enrollment(batch=full, member=seated, actor=None)
        elif path == "self":
            cancel_own_enrollment(batch=full, member=seated)
        else:
            set_user_enabled(user=seated, enabled=False, actor=None)
            withdraw_disabled_user(user=seated, actor=None)
    full.refresh_from_db()
    assert (status(full, first), status(full, second), full.seats_taken) == ("active", "waitlisted", 2)
    assert set(access(first).values()) == {"active"}
    assert positions(full) == [(second.email, 1)]
    assert EnrollmentEvent.objects.filter(kind=EventType.PROMOTED, member=first).count() == 1
    assert BatchEnrollment.objects.get(batch=full, member=first).promoted_at is not None


def test_a_higher_seat_count_promotes_that_many_in_order(full, mod):
    members = join(full, 3)
    update_batch(batch=full, actor=mod, seat_count=4)
    assert [status(full, m) for m in members] == ["active", "active", "waitlisted"]
    assert positions(full) == [(members[2].email, 1)]


def test_no_seat_count_promotes_everyone(full, mod):
    members = join(full, 3)
    update_batch(batch=full, actor=mod, seat_count=None)
    assert {status(full, m) for m in members} == {"active"}


def test_promotion_skips_a_member_no_longer_a_student(full, mod):
    first, second = join(full, 2)
    set_user_roles(user=first, roles=[Role.COURSE_CREATOR], actor=None)
    update_batch(batch=full, actor=mod, seat_count=3)
    assert (status(full, first), status(full, second)) == ("cancelled", "active")
    assert EnrollmentEvent.objects.get(kind=EventType.CANCELLED, member=first).reason == "not_eligible"


def test_cancelled_waitlisted_member_leaves_no_gap_and_frees_no_seat(full):
    a, b, c = join(full, 3)
    cancel_enrollment(batch=full, member=b, actor=None)
    full.refresh_from_db()
    assert positions(full) == [(a.email, 1), (c.email, 2)] and full.seats_taken == 2


def test_rejoining_the_waitlist_goes_to_the_end_and_keeps_the_others_order(full):
    a, b, c = join(full, 3)
    cancel_own_enrollment(batch=full, member=a)
    enroll(batch=full, member=a, actor=a, source=Source.PORTAL)
    assert positions(full) == [(b.email, 1), (c.email, 2), (a.email, 3)]


def test_self_cancel_refused_when_closed_or_started_changes_nothing(full):
    member = join(full, 1)[0]
    Batch.objects.filter(pk=full.pk).update(allow_self_cancel=False)
    full.refresh_from_db()
    with pytest.raises(errors.SelfCancelClosed):
        cancel_own_enrollment(batch=full, member=member)
    Batch.objects.filter(pk=full.pk).update(
        allow_self_cancel=True, start_date=timezone.localdate() - dt.timedelta(days=1)
    )
    with pytest.raises(errors.CohortStarted):
        cancel_own_enrollment(batch=full, member=member)
    assert status(full, member) == "waitlisted"


def test_bulk_enroll_reports_waitlisted_members_in_order(full, mod):
    members = [UserFactory() for _ in range(3)]
    result = bulk_enroll(batch=full, members=[m.email for m in members], actor=mod, source=Source.API)
    assert [r.status for r in result.results] == ["waitlisted"] * 3 and result.waitlisted == 3
    assert positions(full) == [(m.email, i) for i, m in enumerate(members, 1)]


def test_bulk_dry_run_waitlists_nothing(full, mod):
    member = UserFactory()
    result = bulk_enroll(batch=full, members=[member.email], actor=mod, source=Source.IMPORT, dry_run=True)
    assert result.results[0].status == "waitlisted"
    assert not BatchEnrollment.objects.filter(member=member).exists()


# Transfers, replacements, duplicates ------------------------------------------------------------


def test_transfer_moves_the_seat_keeps_shared_progress_and_promotes_the_source(full, courses, mod):
    seated = BatchEnrollment.objects.filter(batch=full, status="active").order_by("pk").first().member
    waiting = join(full, 1)[0]
    target = BatchFactory(courses=[courses[0], CourseFactory()], seat_count=2)
    CourseEnrollment.objects.filter(member=seated, course=courses[0]).update(progress=30)
    moved = transfer_enrollment(batch=full, member=seated, to_batch=target, actor=mod, reason="schedule")
    assert (moved.batch, moved.status) == (target, "active")
    assert (status(full, seated), status(full, waiting)) == ("cancelled", "active")
    shared = CourseEnrollment.objects.get(member=seated, course=courses[0])
    assert (shared.status, shared.progress) == ("active", 30)
    assert access(seated)[courses[1].name] == "cancelled"
    event = EnrollmentEvent.objects.get(kind=EventType.TRANSFERRED)
    assert (event.batch, event.member, event.after["to_batch"], event.reason) == (full, seated, target.name, "schedule")


def test_transfer_into_a_full_cohort_is_refused_and_changes_nothing(full, mod):
    seated = BatchEnrollment.objects.filter(batch=full, status="active").first().member
    waiting = join(full, 1)[0]
    target = BatchFactory(seat_count=0)
    before = (
        list(BatchEnrollment.objects.values_list("pk", "status")),
        EnrollmentEvent.objects.count(),
        list(CourseEnrollment.objects.values_list("pk", "status")),
    )
    with pytest.raises(errors.CohortFull):
        transfer_enrollment(batch=full, member=seated, to_batch=target, actor=mod)
    assert before == (
        list(BatchEnrollment.objects.values_list("pk", "status")),
        EnrollmentEvent.objects.count(),
        list(CourseEnrollment.objects.values_list("pk", "status")),
    )
    assert status(full, waiting) == "waitlisted"


def test_replace_passes_the_seat_to_a_colleague_not_the_waitlist(full, mod):
    seated = BatchEnrollment.objects.filter(batch=full, status="active").first().member
    waiting = join(full, 1)[0]
    colleague = UserFactory()
    replace_enrollment(batch=full, member=seated, replacement=colleague.email, actor=mod, reason="on leave")
    full.refresh_from_db()
    assert (status(full, seated), status(full, colleague), status(full, waiting)) == (
        "cancelled",
        "active",
        "waitlisted",
    )
    assert full.seats_taken == 2
    assert EnrollmentEvent.objects.get(kind=EventType.REPLACED).after["replaced_by"] == colleague.email


def test_replace_refused_for_a_colleague_already_enrolled_changes_nothing(full, mod):
    seated, other = [e.member for e in BatchEnrollment.objects.filter(batch=full, status="active")]
    with pytest.raises(errors.AlreadyEnrolled):
        replace_enrollment(batch=full, member=seated, replacement=other, actor=mod)
    assert status(full, seated) == "active" and not EnrollmentEvent.objects.filter(kind="replaced").exists()
    with pytest.raises(errors.CannotEnrollOthers):
        replace_enrollment(batch=full, member=seated, replacement=UserFactory(), actor=UserFactory())


def test_duplicate_copies_settings_courses_shifted_classes_and_can_move_the_waitlist(full, courses, mod):
    from smoothlms.catalog.services import schedule_live_class

    schedule_live_class(batch=full, title="Kick-off", date=full.start_date, time=dt.time(10), actor=mod)
    a, b = join(full, 2)
    start = full.start_date + dt.timedelta(days=14)
    copy = duplicate_batch(batch=full, title="Second run", start_date=start, move_waitlist=True, actor=mod)
    assert (copy.published, copy.seat_count, copy.waitlist_enabled, copy.end_date) == (
        False,
        2,
        True,
        full.end_date + dt.timedelta(days=14),
    )
    assert list(copy.batch_courses.order_by("position").values_list("course", flat=True)) == [c.pk for c in courses]
    assert list(copy.live_classes.values_list("title", "date")) == [("Kick-off", start)]
    assert positions(copy) == [(a.email, 1), (b.email, 2)] and positions(full) == []
    update_batch(batch=copy, actor=mod, published=True)
    assert (status(copy, a), status(copy, b)) == ("active", "active")


def test_duplicate_refused_for_a_bad_end_changes_nothing(full, mod):
    from smoothlms.catalog.errors import InvalidBatch

    count = Batch.objects.count()
    with pytest.raises(InvalidBatch):
        duplicate_batch(
            batch=full,
            title="Bad",
            start_date=full.start_date,
            end_date=full.start_date - dt.timedelta(days=1),
            actor=mod,
        )
    assert Batch.objects.count() == count


def _promotion_statements(batch, waiting, freed, mod):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    join(batch, waiting)
    with CaptureQueriesContext(connection) as queries:
        update_batch(batch=batch, actor=mod, seat_count=batch.seat_count + freed)
    return len(queries)


def test_promotion_is_a_constant_number_of_statements_whatever_the_waitlist(courses, mod):
    small = BatchFactory(courses=courses, seat_count=0, waitlist_enabled=True)
    large = BatchFactory(courses=courses, seat_count=0, waitlist_enabled=True)
    assert _promotion_statements(small, 2, 1, mod) == _promotion_statements(large, 25, 20, mod)
    assert BatchEnrollment.objects.filter(batch=large, status="active").count() == 20
