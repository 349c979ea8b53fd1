from smoothlms.core.management.base import SmoothCommand
from smoothlms.people.selectors import get_user
from smoothlms.people.services import issue_api_key


class Command(SmoothCommand):
    help = "Print a new KEY:SECRET for the user (the previous one stops working)."

    def add_arguments(self, parser):
        parser.add_argument("email")

    def run(self, *, email, **options):
        self.stdout.write(issue_api_key(user=get_user(email=email), actor=None))  # the command line: audited as such
