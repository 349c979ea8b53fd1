"""Sign-in in a real browser: staff land on the desk, students never reach it."""

import pytest

from smoothlms.people.roles import Role
from smoothlms.people.tests.factories import UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_moderator_signs_in_and_reaches_the_desk(page, sign_in):
    UserFactory(email="mod@example.com", password="mod-pass-123", roles=[Role.MODERATOR])
    sign_in("MOD@example.com", "mod-pass-123")
    page.goto("/app/")
    assert "Smooth LMS desk" in page.content()


def test_bad_password_shows_a_clear_error(page, sign_in):
    UserFactory(email="learner@example.com", password="right-pass-123")
    sign_in("learner@example.com", "wrong")
    assert "did not match" in page.inner_text("[role=alert]")
