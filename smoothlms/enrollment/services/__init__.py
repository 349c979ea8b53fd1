"""Enrollment writes: one set of rules for every path (desk, portal, API, CSV import, HR rules).

The rules are `enrollment.rules.refusal_for`, in the order of CONTRACT.md section 6; each path
reads its facts under the cohort's row lock (`enrollment.locks`) and asks it. Seats are taken with
one conditional UPDATE of the batch row inside the enrolling transaction, with the CheckConstraint
`batch_seats_within_seat_count` behind it.

  enrolling  one member                  bulk      many members, several cohorts, dry runs
  cancel     cancelling                  seats     taking seats, the seat-count rule, changing a cohort
  access     course enrollments          payments  paid cohorts
  cohort     changing a cohort           waitlist  joining it, promoting from it
  single_statement  a new member's seat and its rows in one statement (PostgreSQL; self-enrollment)
"""

from smoothlms.enrollment.services.access import grant_course_access, withdraw_course_access
from smoothlms.enrollment.services.bulk import (
    BULK_CHUNK,
    BulkGroup,
    BulkResult,
    MemberResult,
    OutcomeCounts,
    bulk_enroll,
    bulk_enroll_groups,
)
from smoothlms.enrollment.services.cancel import cancel_enrollment, cancel_own_enrollment, withdraw_disabled_user
from smoothlms.enrollment.services.cohort import duplicate_batch, update_batch
from smoothlms.enrollment.services.enrolling import enroll, enroll_self
from smoothlms.enrollment.services.payments import record_payment
from smoothlms.enrollment.services.transfer import replace_enrollment, transfer_enrollment
from smoothlms.enrollment.services.waitlist import promote_now, promote_waitlist, waits_instead

__all__ = [
    "BULK_CHUNK",
    "BulkGroup",
    "BulkResult",
    "MemberResult",
    "OutcomeCounts",
    "bulk_enroll",
    "bulk_enroll_groups",
    "cancel_enrollment",
    "cancel_own_enrollment",
    "duplicate_batch",
    "enroll",
    "enroll_self",
    "grant_course_access",
    "promote_now",
    "promote_waitlist",
    "record_payment",
    "replace_enrollment",
    "transfer_enrollment",
    "update_batch",
    "waits_instead",
    "withdraw_course_access",
    "withdraw_disabled_user",
]
