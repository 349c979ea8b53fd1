"""Training refusals: stable codes and one message each."""

from smoothlms.core.errors import Conflict, Invalid, NotFound


class DueDateInPast(Invalid):
    code = "due_date_in_past"
    message = "The due date {due_date} is in the past."


class NoCourses(Invalid):
    code = "missing_field"
    message = "At least one course is required."


class AssignmentNotOpen(Conflict):
    code = "assignment_not_open"
    message = "The assignment of {course} to {email} is {status}: only open assignments can be changed."


class DueDateNotLater(Invalid):
    code = "due_date_not_later"
    message = "The new due date {due_date} is not after the current one ({current})."


class DueDateTaken(Conflict):
    code = "due_date_taken"
    message = "{email} already has an assignment of {course} due on {due_date}."


class DueDateReasonRequired(Invalid):
    code = "reason_required"
    message = "A reason is required to extend a due date."


class NothingToCertify(Invalid):
    code = "missing_field"
    message = "A certificate needs a course or a cohort."


class CertificateNotOffered(Conflict):
    code = "certificate_not_offered"
    message = "The course {course} does not issue certificates."


class CertificationNotOffered(Conflict):
    code = "certification_not_offered"
    message = "The cohort {batch} does not issue certificates."


class CourseNotCompleted(Conflict):
    code = "course_not_completed"
    message = "{member} has not completed the course {course}."


class CertificateNotFound(NotFound):
    code = "not_found"
    message = "No certificate named {name}."
