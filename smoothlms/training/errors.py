"""Training refusals: stable codes and one message each."""

from smoothlms.core.errors import Invalid


class DueDateInPast(Invalid):
    code = "due_date_in_past"
    message = "The due date {due_date} is in the past."


class NoCourses(Invalid):
    code = "missing_field"
    message = "At least one course is required."
