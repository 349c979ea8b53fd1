"""Provisioning: one service for every HR path (file import, API, webhook, HRMS sync, desk).

An HR record is keyed by its HR id; its email is an attribute that can change. The service makes
the LMS match the record (desired state):
- an Active employee with an email has an enabled user with the LMS Student role, linked through
  Employee.user: the linked user if there is one, else an existing user with one of the record's
  emails (normalised; User ID, then Company Email, then Personal Email), else a new user (no
  password: a set-password email goes out after commit);
- a rehire (same HR id, or a new HR id with the email of a disabled user) gets the old user back,
  re-enabled: never a duplicate;
- a leaver (status Left, or the relieving date has passed) has the user disabled, unless that user
  belongs to another active employee; enrollments and history stay. A leaver with no user gets none;
- Inactive and Suspended records are kept and linked, their user is left as it is;
- a user can belong to one active employee: a second one is an error for that row.

Rows that change nothing write nothing. Everything is read in bulk first (a plan), then written in
chunks (one transaction each), records that release a user before records that take one.

Modules: provision (the service), plan (reads and decisions), write (the chunked writes), report
(the outcome of each row). `from smoothlms.hr.services import provision_employees` and the other
names below stay the way in.
"""

from smoothlms.hr.services.plan import READ_CHUNK
from smoothlms.hr.services.provision import (
    DEFAULT_DISABLE_THRESHOLD,
    WRITE_CHUNK,
    count_enabled_employee_users,
    disable_threshold_setting,
    provision_employee,
    provision_employees,
)
from smoothlms.hr.services.report import (
    ACTIONS,
    CREATE,
    DISABLE,
    ERROR,
    REHIRE,
    UNCHANGED,
    UPDATE,
    ProvisionReport,
    RowOutcome,
)

__all__ = [
    "ACTIONS",
    "CREATE",
    "DEFAULT_DISABLE_THRESHOLD",
    "DISABLE",
    "ERROR",
    "READ_CHUNK",
    "REHIRE",
    "UNCHANGED",
    "UPDATE",
    "WRITE_CHUNK",
    "ProvisionReport",
    "RowOutcome",
    "count_enabled_employee_users",
    "disable_threshold_setting",
    "provision_employee",
    "provision_employees",
]
