from smoothlms.catalog.models import Batch
from smoothlms.core.management.base import SmoothCommand
from smoothlms.demo.accounts import LOGINS
from smoothlms.demo.data import is_loaded, load_demo
from smoothlms.people.models import User


class Command(SmoothCommand):
    help = "Load the demo organisation (once: does nothing when it is already there)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty", action="store_true", help="load only into a database with no cohorts and no users"
        )

    def run(self, *, if_empty, **options):
        if is_loaded():
            self.stdout.write("demo data already loaded")
            return
        if if_empty and (Batch.objects.exists() or User.objects.exists()):
            self.stdout.write("database is not empty: demo data not loaded")
            return
        made = load_demo()
        self.stdout.write("demo loaded: " + " ".join(f"{k}={v}" for k, v in made.items()))
        for email, password, roles, _ in LOGINS:
            self.stdout.write(f"  {email:28} {password:18} {', '.join(roles)}")
