"""The enrollment rules at the service level: each passes once and is refused once, and a refusal
changes nothing."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from smoothlms.catalog.errors import InvalidBatch
from smoothlms.catalog.models import Batch, LateJoinPolicy
from smoothlms.catalog.tests.factories import BatchFactory
from smoothlms.core.models import EnrollmentEvent, EventType
from smoothlms.enrollment import errors
from smoothlms.enrollment.models import BatchEnrollment, CourseEnrollment, EmailStatus, EnrollmentStatus, Source
from smoothlms.enrollment.services import bulk_enroll, cancel_enrollment, enroll, record_payment, update_batch
from smoothlms.people.models import Employee
from smoothlms.people.roles import Role
from smoothlms.people.services import set_user_roles
from smoothlms.people.tests.factories import EmployeeFactory, UserFactory

pytestmark = pytest.mark.django_db


def snapshot(batch):
    batch.refresh_from_db()
    return (
        batch.seats_taken,
        BatchEnrollment.objects.count(),
        CourseEnrollment.objects.count(),
        EnrollmentEvent.objects.filter(batch=batch).count(),
    )


def refused(error_type, batch, **kwargs):
    before = snapshot(batch)
    with pytest.raises(error_type) as caught:
        enroll(batch=batch, source=Source.API, **kwargs)
    assert snapshot(batch) == before, "a refused enrollment changed something"
    return caught.value


def started(batch, *, ended=False):
    now = timezone.localdate()
    end = now - dt.timedelta(days=1) if ended else now + dt.timedelta(days=3)
    Batch.objects.filter(pk=batch.pk).update(start_date=now - dt.timedelta(days=3), end_date=end)
    batch.refresh_from_db()
    return batch


def test_self_enrollment_creates_seat_course_access_event_and_pending_email(batch, learner, courses):
    enrollment = enroll(batch=batch, member=learner, actor=learner, source=Source.PORTAL)
    batch.refresh_from_db()
    assert enrollment.status == EnrollmentStatus.ACTIVE and enrollment.source == Source.PORTAL
    assert batch.seats_taken == 1
    assert enrollment.member_type == "External"
    assert set(CourseEnrollment.objects.filter(member=learner).values_list("course_id", "enrollment_from_batch")) == {
        (c.pk, batch.pk) for c in courses
    }
    event = EnrollmentEvent.objects.get(kind=EventType.ENROLLED)
    assert (event.actor, event.member, event.source) == (learner, learner, "portal")
    assert enrollment.confirmation_email_status == EmailStatus.PENDING


def test_member_type_is_employee_when_an_employee_record_links_the_user(batch, learner, mod):
    EmployeeFactory(user=learner)
    assert enroll(batch=batch, member=learner, actor=mod, source=Source.DESK).member_type == "Employee"


def test_unpublished_cohort_is_not_found_for_students(batch, learner):
    Batch.objects.filter(pk=batch.pk).update(published=False)
    batch.refresh_from_db()
    err = refused(errors.BatchNotFound, batch, member=learner, actor=learner)
    assert (err.code, err.user_message()) == ("not_found", f"No cohort named {batch.name}.")


def test_student_cannot_enroll_someone_else(batch, learner):
    other = UserFactory()
    err = refused(errors.CannotEnrollOthers, batch, member=other, actor=learner)
    assert (err.code, err.user_message()) == ("permission_denied", "You do not have permission to enroll other users.")


def test_student_cannot_override_the_start(batch, learner):
    refused(errors.CannotEnrollOthers, batch, member=learner, actor=learner, override_start=True, reason="x")


def test_override_needs_a_reason(batch, learner, mod):
    err = refused(errors.OverrideReasonRequired, batch, member=learner, actor=mod, override_start=True, reason="  ")
    assert err.user_message() == "A reason is required to override the start date."


def test_unknown_user_is_named(batch, mod):
    err = refused(errors.UserNotFound, batch, member="Nobody@Example.com ", actor=mod)
    assert (err.code, err.user_message()) == ("user_not_found", "No user with email nobody@example.com.")


def test_disabled_user_is_refused(batch, mod):
    user = UserFactory(enabled=False)
    err = refused(errors.UserDisabled, batch, member=user, actor=mod)
    assert err.user_message() == f"The user {user.email} is disabled."


def test_user_without_student_role_is_refused(batch, mod):
    user = UserFactory(roles=[Role.COURSE_CREATOR])
    err = refused(errors.NotAStudent, batch, member=user, actor=mod)
    assert err.user_message() == f"The user {user.email} does not have the LMS Student role."


def test_unpublished_cohort_refused_for_moderators(batch, learner, mod):
    Batch.objects.filter(pk=batch.pk).update(published=False)
    err = refused(errors.CohortNotPublished, batch, member=learner, actor=mod)
    assert err.user_message() == "This cohort is not published."


def test_unpublished_course_is_named(batch, learner, mod, courses):
    courses[1].published = False
    courses[1].save()
    err = refused(errors.CourseNotPublished, batch, member=learner, actor=mod)
    assert err.user_message() == f"The course {courses[1].name} in this cohort is not published."


def test_ended_cohort_refused_even_with_override(batch, learner, mod):
    started(batch, ended=True)
    err = refused(errors.CohortEnded, batch, member=learner, actor=mod, override_start=True, reason="late")
    assert err.user_message() == "This cohort has ended."


def test_already_enrolled_messages_for_self_and_others(batch, learner, mod):
    enroll(batch=batch, member=learner, actor=learner, source=Source.PORTAL)
    err = refused(errors.AlreadyEnrolled, batch, member=learner, actor=learner)
    assert err.user_message() == "You are already enrolled for this cohort."
    err = refused(errors.AlreadyEnrolled, batch, member=learner.email.upper(), actor=mod)
    assert err.user_message() == f"{learner.email} is already enrolled for this cohort."


def test_started_cohort_refused_without_override(batch, learner, mod):
    started(batch)
    err = refused(errors.CohortStarted, batch, member=learner, actor=learner)
    assert err.user_message() == "This cohort has already started."
    refused(errors.CohortStarted, batch, member=learner, actor=mod)


def test_moderator_override_lets_a_late_join_in_and_is_audited(batch, learner, mod):
    started(batch)
    enrollment = enroll(
        batch=batch, member=learner, actor=mod, source=Source.DESK, override_start=True, reason="Joined the team late"
    )
    assert enrollment.override_reason == "Joined the team late"
    override = EnrollmentEvent.objects.get(kind=EventType.OVERRIDE)
    assert (override.actor, override.reason) == (mod, "Joined the team late")


def test_open_late_join_policy_admits_after_start(batch, learner):
    started(batch)
    Batch.objects.filter(pk=batch.pk).update(late_join_policy=LateJoinPolicy.OPEN_UNTIL_END)
    batch.refresh_from_db()
    assert enroll(batch=batch, member=learner, actor=learner, source=Source.PORTAL).status == "active"


def test_self_enrollment_closed(batch, learner, mod):
    Batch.objects.filter(pk=batch.pk).update(allow_self_enrollment=False)
    batch.refresh_from_db()
    err = refused(errors.SelfEnrollmentClosed, batch, member=learner, actor=learner)
    assert (err.code, err.user_message()) == ("self_enrollment_closed", "Self enrollment is not open for this cohort.")
    assert enroll(batch=batch, member=learner, actor=mod, source=Source.DESK)  # moderators still can


def test_paid_cohort_needs_a_received_payment_for_self_enrollment(batch, learner, mod):
    Batch.objects.filter(pk=batch.pk).update(paid_batch=True, amount=Decimal("100"), currency="EUR")
    batch.refresh_from_db()
    err = refused(errors.PaymentMissing, batch, member=learner, actor=learner)
    assert (err.code, err.user_message()) == ("payment_required", "Payment is required to enroll in this cohort.")
    payment = record_payment(batch=batch, member=learner, amount=Decimal("100"), currency="eur", actor=mod)
    enrollment = enroll(batch=batch, member=learner, actor=learner, source=Source.PORTAL)
    assert enrollment.payment == payment


def test_moderators_enroll_in_paid_cohorts_without_payment(batch, learner, mod):
    Batch.objects.filter(pk=batch.pk).update(paid_batch=True, amount=Decimal("100"), currency="EUR")
    batch.refresh_from_db()
    assert enroll(batch=batch, member=learner, actor=mod, source=Source.DESK).payment is None


def test_full_cohort_refuses_and_unlimited_never_fills(mod):
    batch = BatchFactory(seat_count=1)
    enroll(batch=batch, member=UserFactory(), actor=mod, source=Source.DESK)
    err = refused(errors.CohortFull, batch, member=UserFactory(), actor=mod)
    assert err.user_message() == "This cohort is full."
    unlimited = BatchFactory(seat_count=None)
    for _ in range(5):
        enroll(batch=unlimited, member=UserFactory(), actor=mod, source=Source.DESK)
    unlimited.refresh_from_db()
    assert unlimited.seats_taken == 5 and unlimited.seats_left is None


def test_zero_seats_means_no_seats(learner, mod):
    refused(errors.CohortFull, BatchFactory(seat_count=0), member=learner, actor=mod)


def test_checks_answer_in_the_contracts_order(batch, mod):
    # disabled (5) beats not published (7), which beats full (14)
    user = UserFactory(enabled=False)
    Batch.objects.filter(pk=batch.pk).update(published=False, seat_count=0)
    refused(errors.UserDisabled, batch, member=user, actor=mod)


def test_cancel_frees_the_seat_keeps_history_and_reenrolling_reactivates(batch, learner, mod, courses):
    first = enroll(batch=batch, member=learner, actor=mod, source=Source.DESK)
    CourseEnrollment.objects.filter(member=learner).update(progress=40)
    cancelled = cancel_enrollment(batch=batch, member=learner, actor=mod, reason="wrong cohort")
    batch.refresh_from_db()
    assert cancelled.status == EnrollmentStatus.CANCELLED and batch.seats_taken == 0
    assert CourseEnrollment.objects.filter(member=learner, progress=40).count() == 2
    again = enroll(batch=batch, member=learner, actor=mod, source=Source.API)
    batch.refresh_from_db()
    assert again.pk == first.pk and again.status == EnrollmentStatus.ACTIVE and batch.seats_taken == 1
    assert list(EnrollmentEvent.objects.filter(batch=batch).order_by("id").values_list("kind", flat=True)) == [
        "enrolled",
        "cancelled",
        "reactivated",
    ]


def test_cancel_refuses_students_and_members_not_enrolled(batch, learner, mod):
    with pytest.raises(errors.CannotCancelOthers):
        cancel_enrollment(batch=batch, member=learner, actor=learner)
    with pytest.raises(errors.NotEnrolled):
        cancel_enrollment(batch=batch, member=learner, actor=mod)


def test_seat_count_cannot_drop_below_active_enrollments(batch, mod):
    for _ in range(2):
        enroll(batch=batch, member=UserFactory(), actor=mod, source=Source.DESK)
    with pytest.raises(errors.SeatCountBelowEnrolled) as err:
        update_batch(batch=batch, seat_count=1, actor=mod)
    assert "2 active enrollments" in err.value.user_message()
    batch.refresh_from_db()
    assert batch.seat_count == 3
    update_batch(batch=batch, seat_count=2, actor=mod)
    assert EnrollmentEvent.objects.filter(kind=EventType.SEATS_CHANGED).count() == 1


def test_seats_taken_is_not_changed_by_changing_the_cohort(batch, mod):
    enroll(batch=batch, member=UserFactory(), actor=mod, source=Source.DESK)
    before = snapshot(batch)
    with pytest.raises(InvalidBatch) as err:
        update_batch(batch=batch, seats_taken=0, title="Renamed", actor=mod)
    assert err.value.params["fields"] == ["seats_taken"]
    assert snapshot(batch) == before and Batch.objects.get(pk=batch.pk).title != "Renamed"
    update_batch(batch=batch, title="Renamed", actor=mod)
    assert Batch.objects.get(pk=batch.pk).title == "Renamed" and snapshot(batch) == before


def test_notify_off_marks_the_email_skipped(batch, learner, mod):
    enrollment = enroll(batch=batch, member=learner, actor=mod, source=Source.DESK, notify=False)
    assert enrollment.confirmation_email_status == EmailStatus.SKIPPED


def test_existing_course_enrollment_is_kept(batch, learner, mod, courses):
    CourseEnrollment.objects.create(member=learner, course=courses[0], progress=70)
    enroll(batch=batch, member=learner, actor=mod, source=Source.DESK)
    kept = CourseEnrollment.objects.get(member=learner, course=courses[0])
    assert kept.progress == 70 and kept.enrollment_from_batch is None


# bulk -----------------------------------------------------------------------------------------


def test_bulk_enroll_reports_each_member_in_order_and_fills_seats_in_order(batch, mod):
    users = [UserFactory() for _ in range(4)]
    disabled = UserFactory(enabled=False)
    enroll(batch=batch, member=users[0], actor=mod, source=Source.DESK)
    result = bulk_enroll(
        batch=batch,
        actor=mod,
        source=Source.API,
        members=[
            users[0].email,
            users[1].email.upper(),
            "ghost@example.com",
            disabled.email,
            users[1].email,
            users[2].email,
            users[3].email,
        ],
    )
    assert [(r.member, r.status, r.code) for r in result.results] == [
        (users[0].email, "skipped", "already_enrolled"),
        (users[1].email, "created", ""),
        ("ghost@example.com", "failed", "user_not_found"),
        (disabled.email, "failed", "user_disabled"),
        (users[1].email, "skipped", "already_enrolled"),
        (users[2].email, "created", ""),
        (users[3].email, "failed", "cohort_full"),
    ]
    batch.refresh_from_db()
    assert batch.seats_taken == 3 == BatchEnrollment.objects.filter(batch=batch, status="active").count()
    assert CourseEnrollment.objects.filter(enrollment_from_batch=batch).count() == 6
    assert EnrollmentEvent.objects.filter(batch=batch, kind="enrolled").count() == 3
    event = EnrollmentEvent.objects.filter(batch=batch, kind="enrolled", source="api").get(member=users[2])
    assert (event.actor, event.actor_email, event.after) == (
        mod,
        mod.email,
        {"status": "active", "override_start": False},
    )
    assert event.enrollment == BatchEnrollment.objects.get(batch=batch, member=users[2])


def test_bulk_enroll_rerun_changes_nothing(batch, mod):
    emails = [UserFactory().email for _ in range(3)]
    assert bulk_enroll(batch=batch, members=emails, actor=mod, source=Source.IMPORT).created == 3
    before = snapshot(batch)
    again = bulk_enroll(batch=batch, members=emails, actor=mod, source=Source.IMPORT)
    assert (again.created, again.skipped) == (0, 3) and snapshot(batch) == before


def test_bulk_enroll_dry_run_writes_nothing(batch, mod):
    before = snapshot(batch)
    result = bulk_enroll(batch=batch, members=[UserFactory().email], actor=mod, source=Source.IMPORT, dry_run=True)
    assert result.created == 1 and snapshot(batch) == before


def test_bulk_enroll_reactivates_cancelled_members(batch, mod):
    user = UserFactory()
    enroll(batch=batch, member=user, actor=mod, source=Source.DESK)
    cancel_enrollment(batch=batch, member=user, actor=mod)
    assert bulk_enroll(batch=batch, members=[user.email], actor=mod, source=Source.API).created == 1
    assert BatchEnrollment.objects.get(batch=batch, member=user).status == "active"


def test_bulk_enroll_refuses_students_and_started_without_override(batch, learner, mod):
    with pytest.raises(errors.CannotEnrollOthers):
        bulk_enroll(batch=batch, members=[learner.email], actor=learner, source=Source.API)
    started(batch)
    result = bulk_enroll(batch=batch, members=[learner.email], actor=mod, source=Source.API)
    assert result.results[0].code == "cohort_started"
    result = bulk_enroll(
        batch=batch, members=[learner.email], actor=mod, source=Source.API, override_start=True, reason="exec sponsor"
    )
    assert result.created == 1 and EnrollmentEvent.objects.filter(kind="override").count() == 1


def test_bulk_member_type_and_roles(batch, mod):
    employee_user, external = UserFactory(), UserFactory()
    EmployeeFactory(user=employee_user)
    creator = UserFactory(roles=[Role.COURSE_CREATOR])
    result = bulk_enroll(
        batch=batch, members=[employee_user.email, external.email, creator.email], actor=mod, source=Source.API
    )
    assert [r.code for r in result.results] == ["", "", "not_a_student"]
    types = dict(BatchEnrollment.objects.values_list("member__email", "member_type"))
    assert types == {employee_user.email: "Employee", external.email: "External"}
    assert Employee.objects.count() == 1
    set_user_roles(user=creator, roles=[Role.LMS_STUDENT], actor=mod)


@pytest.mark.parametrize("utc_time,outcome", [(dt.time(3, 29), "enrolled"), (dt.time(3, 31), "cohort_started")])
def test_start_is_compared_in_the_cohorts_time_zone_not_the_servers(monkeypatch, learner, utc_time, outcome):
    # 09:00 in Asia/Kolkata (UTC+05:30) is 03:30 UTC; the server runs in UTC.
    batch = BatchFactory(
        start_date=dt.date(2031, 1, 6), end_date=dt.date(2031, 1, 9), timezone="Asia/Kolkata", start_time=dt.time(9, 0)
    )
    now = dt.datetime.combine(dt.date(2031, 1, 6), utc_time, tzinfo=dt.UTC)
    monkeypatch.setattr("django.utils.timezone.now", lambda: now)
    try:
        enroll(batch=batch, member=learner, actor=learner, source=Source.PORTAL)
        result = "enrolled"
    except errors.CohortStarted as err:
        result = err.code
    assert result == outcome


def test_bulk_dry_run_over_several_chunks_counts_seats_like_a_real_run(mod):
    batch = BatchFactory(seat_count=3)
    emails = [UserFactory().email for _ in range(5)]
    dry = bulk_enroll(batch=batch, members=emails, actor=mod, source=Source.IMPORT, dry_run=True, chunk_size=2)
    real = bulk_enroll(batch=batch, members=emails, actor=mod, source=Source.IMPORT, chunk_size=2)
    assert [r.status for r in dry.results] == [r.status for r in real.results] == ["created"] * 3 + ["failed"] * 2


# Self-enrollment by the cohort's name (the API's path: one read of the cohort) ------------------


def test_enroll_self_by_name_seats_the_member_with_enroll_s_side_effects(batch, learner):
    from smoothlms.enrollment.services import enroll_self

    enrollment = enroll_self(batch_name=batch.name, member=learner, source=Source.API)
    assert (enrollment.status, enrollment.source, enrollment.batch_id) == (EnrollmentStatus.ACTIVE, "api", batch.pk)
    batch.refresh_from_db()
    assert batch.seats_taken == 1
    assert EnrollmentEvent.objects.filter(batch=batch, member=learner, kind=EventType.ENROLLED).count() == 1
    assert CourseEnrollment.objects.filter(member=learner, enrollment_from_batch=batch).count() == len(
        batch.batch_courses.all()
    )


def test_enroll_self_refuses_an_unknown_name_and_an_unpublished_cohort_as_not_found(batch, learner):
    from smoothlms.catalog.errors import BatchNotFound
    from smoothlms.enrollment.services import enroll_self

    before = snapshot(batch)
    with pytest.raises(BatchNotFound):
        enroll_self(batch_name="no-such-cohort", member=learner, source=Source.API)
    Batch.objects.filter(pk=batch.pk).update(published=False)
    with pytest.raises(BatchNotFound):  # check 1: for a student it does not exist
        enroll_self(batch_name=batch.name, member=learner, source=Source.API)
    staff = UserFactory(roles=[Role.MODERATOR, Role.LMS_STUDENT])
    with pytest.raises(errors.CohortNotPublished):  # staff see it, and meet the later check
        enroll_self(batch_name=batch.name, member=staff, source=Source.API)
    assert snapshot(batch) == before


def test_enroll_self_counts_only_the_member_s_own_payment_for_this_cohort(batch, learner, mod):
    from smoothlms.enrollment.services import enroll_self

    Batch.objects.filter(pk=batch.pk).update(paid_batch=True, amount=Decimal("100"), currency="EUR")
    other = UserFactory()
    theirs = record_payment(batch=batch, member=other, amount=Decimal("100"), currency="eur", actor=mod)
    before = snapshot(batch)
    with pytest.raises(errors.PaymentMissing):
        enroll_self(batch_name=batch.name, member=learner, source=Source.API, payment_id=theirs.pk)
    assert snapshot(batch) == before
    mine = record_payment(batch=batch, member=learner, amount=Decimal("100"), currency="eur", actor=mod)
    assert enroll_self(batch_name=batch.name, member=learner, source=Source.API, payment_id=mine.pk).payment == mine
