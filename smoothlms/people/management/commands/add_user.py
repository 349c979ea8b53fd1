from smoothlms.core.management.base import SmoothCommand
from smoothlms.people.roles import Role
from smoothlms.people.services import create_user


class Command(SmoothCommand):
    help = "Create a user (roles default to LMS Student)."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--name", default="")
        parser.add_argument(
            "--role",
            action="append",
            dest="roles",
            metavar="ROLE",
            help=f"repeatable; one of: {', '.join(Role.values)}",
        )
        parser.add_argument("--password")
        parser.add_argument("--disabled", action="store_true")

    def run(self, *, email, name, roles, password, disabled, **options):
        user = create_user(
            email=email, full_name=name, roles=roles, password=password, enabled=not disabled, actor=None
        )
        self.stdout.write(
            f"created {user.email} ({', '.join(sorted(user.role_names))}){' disabled' if disabled else ''}"
        )
