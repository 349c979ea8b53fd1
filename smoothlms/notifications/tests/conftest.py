import datetime as dt

import pytest
from django.utils import timezone

from smoothlms.catalog.tests.factories import BatchFactory, CourseFactory, LiveClassFactory
from smoothlms.notifications.tests.defaults import ensure_email_defaults
from smoothlms.notifications.tests.smtp import SmtpServer
from smoothlms.people.tests.factories import UserFactory, moderator


@pytest.fixture
def smtp(settings):
    """A real SMTP server on 127.0.0.1, and Django's SMTP backend pointed at it."""
    server = SmtpServer().start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    yield server
    server.stop()


@pytest.fixture
def email_defaults(db):
    """The default templates and LMS Settings of the migrations (a transactional test flushes them)."""
    ensure_email_defaults()


@pytest.fixture
def courses(email_defaults):
    return [CourseFactory(title="Onboarding"), CourseFactory(title="Security basics")]


@pytest.fixture
def batch(courses):
    """Starts in 20 days at 09:00 in Asia/Kolkata (03:30 UTC), ends 14 days later at 17:00."""
    start = timezone.localdate() + dt.timedelta(days=20)
    return BatchFactory(
        title="New Hire Week 12",
        timezone="Asia/Kolkata",
        start_date=start,
        start_time=dt.time(9, 0),
        end_date=start + dt.timedelta(days=14),
        end_time=dt.time(17, 0),
        courses=courses,
        seat_count=50,
    )


@pytest.fixture
def live_class(batch):
    return LiveClassFactory(
        batch=batch, title="Kick-off", time=dt.time(10, 0), duration=90, join_url="https://meet.example.com/kick-off"
    )


@pytest.fixture
def learner(db):
    return UserFactory(email="asha@example.com", full_name="Asha Rao")


@pytest.fixture
def mod(db):
    return moderator()
