"""Run the task worker of the configured backend: the database worker by default, RQ with REDIS_URL."""

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django_tasks import default_task_backend


class Command(BaseCommand):
    help = "Run the background task worker of the configured backend (database or Redis/RQ)."

    def add_arguments(self, parser):
        parser.add_argument("--burst", action="store_true", help="process what is queued, then exit")

    def handle(self, *args, burst=False, **options):
        backend = type(default_task_backend).__name__
        if backend == "RQBackend":
            args = ["rqworker", "default", "--with-scheduler"]
            if burst:
                args.append("--burst")
            call_command(*args)
        elif backend == "DatabaseBackend":
            call_command("db_worker", *(["--batch"] if burst else []))
        else:
            self.stderr.write(f"error: no_worker: the {backend} runs tasks in the web process; no worker needed")
            raise SystemExit(1)
