"""'Forgot password?' is rate-limited per client address (CONTRACT.md section 10)."""

from __future__ import annotations

import pytest

from smoothlms.core.ratelimit import allow
from smoothlms.people.models import UserInvitation
from smoothlms.people.tests.factories import UserFactory
from smoothlms.people.views import TOO_MANY_RESETS

pytestmark = pytest.mark.django_db


def test_the_limiter_refuses_past_the_limit_in_one_window_and_counts_keys_apart():
    assert [allow("k", limit=3, window=60) for _ in range(5)] == [True, True, True, False, False]
    assert allow("other", limit=3, window=60) is True


def test_forgot_password_past_the_limit_answers_429_and_sends_nothing(
    client, settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.PASSWORD_RESET_LIMIT_PER_CLIENT = 3
    users = [UserFactory(email=f"p{n}@example.com") for n in range(5)]
    answers = []
    with django_capture_on_commit_callbacks(execute=True):
        for user in users:
            answers.append(client.post("/login/forgot-password", {"email": user.email}, REMOTE_ADDR="203.0.113.9"))
    assert [answer.status_code for answer in answers] == [200, 200, 200, 429, 429]
    assert TOO_MANY_RESETS in answers[3].content.decode()
    assert sorted(m.to[0] for m in mailoutbox) == ["p0@example.com", "p1@example.com", "p2@example.com"]
    assert UserInvitation.objects.filter(kind="reset").count() == 3  # nothing queued for the refused ones

    # Another client address still gets its link.
    with django_capture_on_commit_callbacks(execute=True):
        other = client.post("/login/forgot-password", {"email": "p4@example.com"}, REMOTE_ADDR="198.51.100.2")
    assert other.status_code == 200 and mailoutbox[-1].to == ["p4@example.com"]
