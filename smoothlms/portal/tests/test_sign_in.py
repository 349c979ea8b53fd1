"""Sign-in throttling, POST-only sign-out and staff idle sessions (CONTRACT.md section 10), through
/login and /logout as a browser uses them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import SESSION_KEY, authenticate
from django.test import Client
from django.utils import timezone
from freezegun import freeze_time

from smoothlms.core.models import EnrollmentEvent, EventType
from smoothlms.people.models import User
from smoothlms.people.roles import Role
from smoothlms.people.tests.factories import UserFactory
from smoothlms.portal.auth_views import LOCKED_OUT

pytestmark = pytest.mark.django_db

PASSWORD = "right-pass-123"
OFFICE = "203.0.113.7"  # one office address shared by many employees


def sign_in(client: Client, email: str, password: str):
    return client.post("/login", {"username": email, "password": password}, REMOTE_ADDR=OFFICE)


def test_twelve_wrong_passwords_lock_that_email_for_the_cool_off_only(client):
    UserFactory(email="asha@example.com", password=PASSWORD)
    UserFactory(email="ben@example.com", password=PASSWORD)
    assert client.get("/login").status_code == 200  # URLs (and the API's schemas) load before the clock is faked
    start = timezone.now()
    with freeze_time(start) as clock:
        answers = [sign_in(client, "asha@example.com", "wrong-guess").status_code for _ in range(12)]
        assert answers[:9] == [200] * 9 and answers[9:] == [429] * 3  # the 10th failure locks

        refused = sign_in(client, "ASHA@example.com ", PASSWORD)  # any spelling of the email
        assert refused.status_code == 429
        assert LOCKED_OUT in refused.content.decode()
        assert SESSION_KEY not in client.session

        # The same office address, another person: not locked.
        colleague = Client()
        assert sign_in(colleague, "ben@example.com", PASSWORD).status_code == 302
        assert SESSION_KEY in colleague.session

        clock.tick(dt.timedelta(minutes=14))
        assert sign_in(client, "asha@example.com", PASSWORD).status_code == 429
        clock.tick(dt.timedelta(minutes=2))  # 16 minutes after the lock
        signed_in = sign_in(client, "asha@example.com", PASSWORD)
    assert signed_in.status_code == 302 and signed_in["Location"] == "/lms/batches"
    assert int(client.session[SESSION_KEY]) == User.objects.get(email="asha@example.com").pk


def test_a_locked_email_is_refused_before_its_password_is_checked(rf):
    user = UserFactory(email="asha@example.com", password=PASSWORD)
    request = rf.post("/login", REMOTE_ADDR=OFFICE)
    for _ in range(10):
        assert authenticate(request, username="asha@example.com", password="wrong-guess") is None
    logins_before = EnrollmentEvent.objects.filter(kind=EventType.LOGIN).count()

    assert (
        authenticate(rf.post("/login", REMOTE_ADDR="198.51.100.1"), username="asha@example.com", password=PASSWORD)
        is None
    )  # locked per account, from any address
    user.refresh_from_db()
    assert user.last_login is None
    assert EnrollmentEvent.objects.filter(kind=EventType.LOGIN).count() == logins_before
    # Every refusal is audited, the locked one too.
    assert EnrollmentEvent.objects.filter(kind=EventType.LOGIN_FAILED, member=user).count() == 11


def test_failures_are_forgotten_after_a_successful_sign_in(client):
    UserFactory(email="asha@example.com", password=PASSWORD)
    for _ in range(9):
        sign_in(client, "asha@example.com", "typo")
    assert sign_in(client, "asha@example.com", PASSWORD).status_code == 302
    client.post("/logout")
    for _ in range(9):
        assert sign_in(client, "asha@example.com", "typo").status_code == 200
    assert sign_in(client, "asha@example.com", PASSWORD).status_code == 302


def test_api_tokens_are_not_affected_by_a_locked_email(client):
    from smoothlms.people.services import issue_api_key

    user = UserFactory(email="asha@example.com", password=PASSWORD)
    token = issue_api_key(user=user, actor=user)
    for _ in range(10):
        sign_in(client, "asha@example.com", "wrong-guess")
    assert sign_in(client, "asha@example.com", PASSWORD).status_code == 429
    answer = Client().get("/api/v1/me/enrollments", headers={"Authorization": f"token {token}"})
    assert answer.status_code == 200


def test_get_logout_shows_a_sign_out_button_and_keeps_the_session(client):
    user = UserFactory(email="asha@example.com", password=PASSWORD)
    client.force_login(user)
    page = client.get("/logout")
    assert page.status_code == 200
    html = page.content.decode()
    assert '<form method="post" action="/logout">' in html and "csrfmiddlewaretoken" in html
    assert int(client.session[SESSION_KEY]) == user.pk
    assert client.get("/lms/courses").status_code == 200


def test_post_logout_signs_out_only_with_the_csrf_token():
    user = UserFactory(email="asha@example.com", password=PASSWORD)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.post("/logout").status_code == 403  # another site's form cannot sign a person out
    assert int(client.session[SESSION_KEY]) == user.pk
    token = client.get("/logout").context["csrf_token"]
    answer = client.post("/logout", {"csrfmiddlewaretoken": str(token)})
    assert answer.status_code == 302 and answer["Location"] == "/login"
    assert SESSION_KEY not in client.session


def test_anonymous_get_logout_goes_to_the_login_page(client):
    answer = client.get("/logout")
    assert answer.status_code == 302 and answer["Location"] == "/login"


def test_staff_sessions_expire_after_eight_idle_hours_and_learners_keep_two_weeks(client, settings):
    UserFactory(email="mod@example.com", password=PASSWORD, roles=[Role.MODERATOR])
    UserFactory(email="learner@example.com", password=PASSWORD)
    assert sign_in(client, "mod@example.com", PASSWORD).status_code == 302
    assert client.session.get_expiry_age() == 8 * 60 * 60
    assert client.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == 8 * 60 * 60
    start = timezone.now()
    with freeze_time(start) as clock:
        clock.tick(dt.timedelta(hours=7))
        assert client.get("/app/").status_code == 200  # activity restarts the idle clock
        clock.tick(dt.timedelta(hours=7))
        assert client.get("/app/").status_code == 200
        clock.tick(dt.timedelta(hours=8, minutes=1))
        assert client.get("/app/").status_code == 302  # idle for more than 8 hours: signed out

    learner = Client()
    assert sign_in(learner, "learner@example.com", PASSWORD).status_code == 302
    assert learner.session.get_expiry_age() == settings.SESSION_COOKIE_AGE == 14 * 24 * 60 * 60


@pytest.mark.parametrize("password", ["asha.rao.example", "31415926535", "password123", "short1!"])
def test_passwords_like_the_email_all_digits_common_or_short_are_refused(password):
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        validate_password(password, User(email="asha.rao@example.com", full_name="Asha Rao"))
    validate_password("plum-orbit-lantern", User(email="asha.rao@example.com", full_name="Asha Rao"))
