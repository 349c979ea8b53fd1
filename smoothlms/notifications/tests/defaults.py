"""The default templates and LMS Settings that the migrations create, restored for tests that run
after a transactional test emptied the database."""

from importlib import import_module

from django.apps import apps

from smoothlms.notifications.models import EmailTemplate


def ensure_email_defaults() -> None:
    import_module("smoothlms.notifications.migrations.0002_default_template").create_default(apps, None)
    # 0004's template (its PeriodicJob rows are made on first use anyway, and the model is core's now).
    reminder = import_module("smoothlms.notifications.migrations.0004_reminder_template")
    EmailTemplate.objects.get_or_create(
        name=reminder.NAME,
        defaults={"subject": reminder.SUBJECT, "body_text": reminder.TEXT, "body_html": reminder.HTML},
    )
    import_module("smoothlms.notifications.migrations.0006_waitlist_seat_template").create_default(apps, None)
    import_module("smoothlms.notifications.migrations.0008_cancellation_template").create_default(apps, None)
