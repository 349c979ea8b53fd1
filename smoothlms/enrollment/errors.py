"""Enrollment refusals: codes and messages of CONTRACT.md section 6, checked in that order."""

from smoothlms.catalog.errors import BatchNotFound
from smoothlms.core.errors import Conflict, Forbidden, Invalid, NotFound, PaymentRequired
from smoothlms.people.errors import UserNotFound

__all__ = [
    "BatchNotFound",
    "CannotEnrollOthers",
    "OverrideReasonRequired",
    "UserNotFound",
    "UserDisabled",
    "NotAStudent",
    "CohortNotPublished",
    "CourseNotPublished",
    "CohortEnded",
    "AlreadyEnrolled",
    "CohortStarted",
    "SelfEnrollmentClosed",
    "PaymentMissing",
    "CohortFull",
    "NotEnrolled",
    "SeatCountBelowEnrolled",
    "CannotCancelOthers",
    "SelfCancelClosed",
    "NotWaitlisted",
    "PromotionReasonRequired",
]


class CannotEnrollOthers(Forbidden):  # 2
    message = "You do not have permission to enroll other users."


class OverrideReasonRequired(Invalid):  # 3
    code = "override_reason_required"
    message = "A reason is required to override the start date."


class UserDisabled(Conflict):  # 5
    code = "user_disabled"
    message = "The user {email} is disabled."


class NotAStudent(Conflict):  # 6
    code = "not_a_student"
    message = "The user {email} does not have the LMS Student role."


class CohortNotPublished(Conflict):  # 7
    code = "cohort_not_published"
    message = "This cohort is not published."


class CourseNotPublished(Conflict):  # 8
    code = "course_not_published"
    message = "The course {course} in this cohort is not published."


class CohortEnded(Conflict):  # 9
    code = "cohort_ended"
    message = "This cohort has ended."


class AlreadyEnrolled(Conflict):  # 10
    code = "already_enrolled"
    message = "You are already enrolled for this cohort."

    @classmethod
    def for_member(cls, *, email: str, is_self: bool) -> "AlreadyEnrolled":
        if is_self:
            return cls(email=email)
        return cls("{email} is already enrolled for this cohort.", email=email)


class CohortStarted(Conflict):  # 11
    code = "cohort_started"
    message = "This cohort has already started."


class SelfEnrollmentClosed(Forbidden):  # 12
    code = "self_enrollment_closed"
    message = "Self enrollment is not open for this cohort."


class PaymentMissing(PaymentRequired):  # 13
    message = "Payment is required to enroll in this cohort."


class CohortFull(Conflict):  # 14
    code = "cohort_full"
    message = "This cohort is full."


class NotEnrolled(NotFound):
    code = "not_enrolled"
    message = "{email} is not enrolled in this cohort."


class CannotCancelOthers(Forbidden):
    message = "You do not have permission to cancel enrollments."


class SeatCountBelowEnrolled(Conflict):
    code = "seat_count_below_enrolled"
    message = (
        "There are no seats available in this batch: it has {enrolled} active enrollments, "
        "so the seat count cannot be lower than {enrolled}."
    )


class SelfCancelClosed(Forbidden):
    code = "self_cancel_closed"
    message = "You cannot cancel your enrollment in this cohort."


class NotWaitlisted(NotFound):
    code = "not_waitlisted"
    message = "{email} is not on this cohort's waitlist."


class PromotionReasonRequired(Invalid):
    code = "promotion_reason_required"
    message = "{ahead} member(s) wait ahead of {email}: a reason is required to promote past them."
