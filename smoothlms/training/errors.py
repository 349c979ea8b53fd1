"""Training refusals: stable codes and one message each."""

from smoothlms.core.errors import Conflict, Invalid


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
