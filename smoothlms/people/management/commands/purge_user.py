"""`smoothlms purge_user EMAIL --confirm`: the only way to erase a person. Anonymises their rows
(people.retention.purge_user); enrollments, submissions and certificates stay. Without --confirm
it refuses: `error: confirmation_required: ...`, exit 1."""

from __future__ import annotations

from smoothlms.core.management.base import SmoothCommand
from smoothlms.people.retention import purge_user
from smoothlms.people.selectors import get_user


class Command(SmoothCommand):
    help = "Erase a user's personal data (anonymise; history kept). Needs --confirm."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--confirm", action="store_true", help="yes, erase this person's personal data")
        parser.add_argument("--reason", default="", help="why (kept in the audit log), e.g. a ticket number")

    def run(self, *args, **options):
        user = get_user(email=options["email"])  # user_not_found
        purged = purge_user(user=user, actor=None, confirm=options["confirm"], reason=options["reason"])
        self.stdout.write(
            f"purged: {user.pk} is now {purged.email}; enrollments, submissions and certificates are kept, anonymised"
        )
