"""The default templates and LMS Settings that the migrations create, restored for tests that run
after a transactional test emptied the database."""

from importlib import import_module


def ensure_email_defaults() -> None:
    from django.apps import apps

    for module in ("0002_default_template", "0004_reminder_template"):
        migration = import_module(f"smoothlms.notifications.migrations.{module}")
        (getattr(migration, "create_default", None) or migration.create_defaults)(apps, None)
