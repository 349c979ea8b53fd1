"""HR refusals: stable codes and one message each."""

from smoothlms.core.errors import Conflict, DomainError, Invalid, NotFound


class EmployeeNotFound(NotFound):
    message = "No employee with HR id {employee}."


class MissingField(Invalid):
    code = "missing_field"
    message = "{field} is required."


class InvalidStatus(Invalid):
    code = "invalid_status"
    message = "Status {value} is not one of Active, Inactive, Suspended, Left."


class InvalidDate(Invalid):
    code = "invalid_date"
    message = "{field} {value} is not a date (use YYYY-MM-DD or DD-MM-YYYY)."


class RelievingBeforeJoining(Invalid):
    code = "relieving_before_joining"
    message = "Relieving Date {relieving_date} is before Date of Joining {date_of_joining}."


class UserLinkedToOtherEmployee(Conflict):
    code = "user_linked_to_other_employee"
    message = "The user {email} is already linked to the active employee {other}."


class StaffAccount(Conflict):
    code = "staff_account"
    message = "The user {email} holds a staff role; only a System Manager can link it to an HR record."


class DuplicateEmployee(Invalid):
    code = "duplicate_employee"
    message = "The HR id {employee} is listed more than once (first on row {first_row})."


class TooManyDisables(Conflict):
    code = "too_many_disables"
    message = (
        "This import would disable {count} of {total} enabled employee users (more than {percent}%). "
        "Check the file, or run it again with --force."
    )


class TooManyDisablesPerHour(TooManyDisables):
    message = (
        "HR {source} would disable {count} employee users within an hour, of {total} enabled (more than "
        "{percent}%): nothing was changed. Check the HRMS, or import the change as a file with --force."
    )


class HRMSNotConfigured(DomainError):
    code = "hrms_not_configured"
    message = "HRMS_URL is not set: there is no HRMS to sync from."


class HRSyncRunning(Conflict):
    code = "hr_sync_running"
    message = "Another HR sync started at {started_at} is still running."


class ConcurrentChange(Conflict):
    code = "conflict"
    message = "This row conflicts with a change made at the same time; import it again."
