"""enrollment.rules.refusal_for, the one answer to "would this enrollment be refused, and why":
each check of CONTRACT.md section 6 refuses with its code and message when its fact is wrong, and
lets the same enrollment through when it is right; the first failing check answers."""

import dataclasses
import datetime as dt

import pytest

from smoothlms.catalog.models import LateJoinPolicy
from smoothlms.catalog.tests.factories import BatchFactory
from smoothlms.enrollment import errors
from smoothlms.enrollment.rules import CohortFacts, EnrollRequest, MemberFacts, refusal_for
from smoothlms.people.roles import Role
from smoothlms.people.tests.factories import UserFactory, moderator

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    batch = BatchFactory(name="python-101", seat_count=3)
    return {
        "batch": batch,
        "learner": UserFactory(email="ada@example.com"),
        "mod": moderator(),
        "now": batch.starts_at - dt.timedelta(days=1),
    }


def answer(
    world,
    *,
    actor="learner",
    is_self=True,
    override_start=False,
    reason="",
    batch_changes=None,
    member=None,
    cohort=None,
    now=None,
):
    """refusal_for on a learner enrolling themselves in an open cohort, with `changes` to its facts."""
    batch = world["batch"]
    for field, value in (batch_changes or {}).items():
        setattr(batch, field, value)
    user = world["learner"]
    facts = MemberFacts(email=user.email, user=user, is_student=True, is_enrolled=False, has_paid=None)
    seats = CohortFacts.of(batch, unpublished_course=None, now=now or world["now"])
    return refusal_for(
        EnrollRequest(
            batch=batch,
            actor=world[actor] if actor else None,
            is_self=is_self,
            override_start=override_start,
            reason=reason,
        ),
        dataclasses.replace(facts, **(member or {})),
        dataclasses.replace(seats, **(cohort or {})),
    )


def started(world, **kwargs):
    return {"now": world["batch"].starts_at + dt.timedelta(hours=1), **kwargs}


CASES = {
    # code: (the enrollment refused, the same enrollment with that fact right), as answer() arguments
    "not_found": ({"batch_changes": {"published": False}}, {}),
    "permission_denied (others)": ({"is_self": False}, {"is_self": False, "actor": "mod"}),
    "permission_denied (override)": (
        {"override_start": True, "reason": "late"},
        {"override_start": True, "reason": "late", "actor": "mod", "is_self": False},
    ),
    "override_reason_required": (
        {"actor": "mod", "is_self": False, "override_start": True, "reason": "  "},
        {"actor": "mod", "is_self": False, "override_start": True, "reason": "late"},
    ),
    "user_not_found": ({"member": {"user": None, "email": "nobody@example.com"}}, {}),
    "user_disabled": ({"member": {"user": "disabled"}}, {}),
    "not_a_student": ({"member": {"is_student": False}}, {}),
    "cohort_not_published": (
        {"actor": "mod", "is_self": False, "batch_changes": {"published": False}},
        {"actor": "mod", "is_self": False},
    ),
    "course_not_published": ({"cohort": {"unpublished_course": "testing-101"}}, {}),
    "cohort_ended": (
        {"actor": "mod", "is_self": False, "override_start": True, "reason": "late", "now": "ended"},
        {"actor": "mod", "is_self": False, "override_start": True, "reason": "late", "now": "started"},
    ),
    "already_enrolled": ({"member": {"is_enrolled": True}}, {}),
    "cohort_started": (
        {"now": "started"},
        {"now": "started", "batch_changes": {"late_join_policy": LateJoinPolicy.OPEN_UNTIL_END}},
    ),
    "self_enrollment_closed": (
        {"batch_changes": {"allow_self_enrollment": False}},
        {"batch_changes": {"allow_self_enrollment": False}, "actor": "mod", "is_self": False},
    ),
    "payment_required": (
        {"batch_changes": {"paid_batch": True}, "member": {"has_paid": False}},
        {"batch_changes": {"paid_batch": True}, "member": {"has_paid": True}},
    ),
    "cohort_full": ({"cohort": {"free_seats": 0}}, {"cohort": {"free_seats": 1}}),
}
EXPECTED = {
    "not_found": (errors.BatchNotFound, "No cohort named python-101."),
    "permission_denied (others)": (errors.CannotEnrollOthers, "You do not have permission to enroll other users."),
    "permission_denied (override)": (errors.CannotEnrollOthers, "You do not have permission to enroll other users."),
    "override_reason_required": (errors.OverrideReasonRequired, "A reason is required to override the start date."),
    "user_not_found": (errors.UserNotFound, "No user with email nobody@example.com."),
    "user_disabled": (errors.UserDisabled, "The user off@example.com is disabled."),
    "not_a_student": (errors.NotAStudent, "The user ada@example.com does not have the LMS Student role."),
    "cohort_not_published": (errors.CohortNotPublished, "This cohort is not published."),
    "course_not_published": (errors.CourseNotPublished, "The course testing-101 in this cohort is not published."),
    "cohort_ended": (errors.CohortEnded, "This cohort has ended."),
    "already_enrolled": (errors.AlreadyEnrolled, "You are already enrolled for this cohort."),
    "cohort_started": (errors.CohortStarted, "This cohort has already started."),
    "self_enrollment_closed": (errors.SelfEnrollmentClosed, "Self enrollment is not open for this cohort."),
    "payment_required": (errors.PaymentMissing, "Payment is required to enroll in this cohort."),
    "cohort_full": (errors.CohortFull, "This cohort is full."),
}


def resolved(world, arguments):
    arguments = dict(arguments)
    now = arguments.pop("now", None)
    if now == "started":
        arguments["now"] = world["batch"].starts_at + dt.timedelta(hours=1)
    elif now == "ended":
        arguments["now"] = world["batch"].ends_at + dt.timedelta(hours=1)
    member = dict(arguments.get("member", {}))
    if member.get("user") == "disabled":
        member["user"] = UserFactory(email="off@example.com", enabled=False)
    arguments["member"] = member
    return arguments


@pytest.mark.parametrize("case", list(CASES))
def test_each_check_refuses_with_its_code_and_message_and_passes_when_its_fact_is_right(world, case):
    refused_arguments, passing_arguments = CASES[case]
    error = answer(world, **resolved(world, refused_arguments))
    error_type, message = EXPECTED[case]
    assert type(error) is error_type
    assert (error.code, error.user_message()) == (case.split(" ")[0], message)
    world["batch"].refresh_from_db()  # undo the in-memory changes of the refused case
    assert answer(world, **resolved(world, passing_arguments)) is None


def test_an_open_cohort_takes_a_learner_a_moderators_member_and_the_systems():
    batch, learner = BatchFactory(), UserFactory()
    facts = MemberFacts(email=learner.email, user=learner, is_student=True)
    cohort = CohortFacts.of(batch, unpublished_course=None, now=batch.starts_at - dt.timedelta(days=1))
    for actor, is_self in ((learner, True), (moderator(), False), (None, False)):
        assert refusal_for(EnrollRequest(batch=batch, actor=actor, is_self=is_self), facts, cohort) is None


def test_the_first_failing_check_answers(world):
    # disabled (5) before not published (7) before full (14); not enrolled yet (10) before started (11)
    error = answer(
        world,
        actor="mod",
        is_self=False,
        batch_changes={"published": False},
        member=resolved(world, {"member": {"user": "disabled"}})["member"],
        cohort={"free_seats": 0},
    )
    assert isinstance(error, errors.UserDisabled)
    world["batch"].refresh_from_db()
    assert isinstance(answer(world, member={"is_enrolled": True}, now=started(world)["now"]), errors.AlreadyEnrolled)
    world["batch"].refresh_from_db()
    assert isinstance(answer(world, is_self=False), errors.CannotEnrollOthers)  # 2 before everything of the member


def test_already_enrolled_names_the_member_for_others(world):
    error = answer(world, actor="mod", is_self=False, member={"is_enrolled": True})
    assert error.user_message() == "ada@example.com is already enrolled for this cohort."


def test_the_request_alone_answers_its_own_checks(world):
    batch, learner = world["batch"], world["learner"]
    assert refusal_for(EnrollRequest(batch=batch, actor=learner, is_self=True)) is None
    assert isinstance(refusal_for(EnrollRequest(batch=batch, actor=learner, is_self=False)), errors.CannotEnrollOthers)
    assert refusal_for(EnrollRequest(batch=batch, actor=None, is_self=False)) is None  # the system: a moderator
    with pytest.raises(TypeError):
        refusal_for(
            EnrollRequest(batch=batch, actor=learner, is_self=True), MemberFacts(email=learner.email, user=learner)
        )


def test_an_unknown_payment_is_left_to_the_engine_and_staff_see_unpublished_cohorts(world):
    assert answer(world, batch_changes={"paid_batch": True}, member={"has_paid": None}) is None
    evaluator = UserFactory(roles=[Role.BATCH_EVALUATOR])
    world["evaluator"] = evaluator
    error = answer(world, actor="evaluator", is_self=False, batch_changes={"published": False})
    assert isinstance(error, errors.CannotEnrollOthers)  # visible to staff (1), but not theirs to enroll (2)


def test_refusal_for_reads_nothing(world, django_assert_num_queries):
    world["learner"].role_names, world["mod"].role_names  # noqa: B018 - the roles, as every path has them
    with django_assert_num_queries(0):
        for arguments, _ in CASES.values():
            answer(world, **{k: v for k, v in arguments.items() if k not in ("now", "member")})
