"""Delivery of set-password emails: once, skipped when pointless, retried with the one backoff
of every email, swept when their enqueue was lost."""

from __future__ import annotations

import datetime as dt
from smtplib import SMTPException

import pytest
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone

from smoothlms.notifications.delivery import CLAIM_SECONDS, MAX_ATTEMPTS, deliver_invitations
from smoothlms.notifications.services import requeue_pending_invitations
from smoothlms.people.accounts import queue_invitations
from smoothlms.people.models import UserInvitation
from smoothlms.people.services import set_user_enabled
from smoothlms.people.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


class BrokenBackend(BaseEmailBackend):
    def send_messages(self, messages):
        raise SMTPException("451 try again later")


def test_delivery_is_safe_to_run_twice(django_capture_on_commit_callbacks, mailoutbox):
    user = UserFactory(email="bo@example.com", password=None)
    queue_invitations(user_ids=[user.pk])
    deliver_invitations(user_ids=[user.pk])
    deliver_invitations(user_ids=[user.pk])
    assert len(mailoutbox) == 1
    assert UserInvitation.objects.get().status == UserInvitation.Status.SENT


def test_an_invitation_for_a_user_who_set_a_password_meanwhile_is_skipped(mailoutbox):
    user = UserFactory(email="bo@example.com")  # has a password
    queue_invitations(user_ids=[user.pk])
    deliver_invitations(user_ids=[user.pk])
    assert mailoutbox == []
    invitation = UserInvitation.objects.get()
    assert (invitation.status, invitation.error) == ("skipped", "The user has already set a password.")


def test_smtp_failures_keep_the_invitation_pending_then_fail_it(settings, mailoutbox):
    settings.EMAIL_BACKEND = f"{__name__}.BrokenBackend"
    user = UserFactory(email="bo@example.com", password=None)
    queue_invitations(user_ids=[user.pk])
    deliver_invitations(user_ids=[user.pk])
    invitation = UserInvitation.objects.get()
    assert (invitation.status, invitation.attempts, invitation.error) == (
        "pending",
        1,
        "SMTPException: 451 try again later",
    )
    assert invitation.next_attempt > timezone.now()  # the backoff every email gets
    deliver_invitations(user_ids=[user.pk])
    assert UserInvitation.objects.get().attempts == 1  # not due yet: left alone
    for _ in range(MAX_ATTEMPTS - 1):
        UserInvitation.objects.update(next_attempt=timezone.now())  # the backoff has passed
        deliver_invitations(user_ids=[user.pk])
    invitation = UserInvitation.objects.get()
    assert (invitation.status, invitation.attempts) == ("failed", MAX_ATTEMPTS)


def test_the_sweep_sends_what_stayed_pending(django_capture_on_commit_callbacks, mailoutbox):
    user = UserFactory(email="bo@example.com", password=None)
    queue_invitations(user_ids=[user.pk])  # its enqueue is lost: the on-commit callback never runs
    UserInvitation.objects.update(created_at=timezone.now() - dt.timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert requeue_pending_invitations() == 1
    assert [m.to for m in mailoutbox] == [["bo@example.com"]]


def test_the_link_arrives_over_smtp_with_a_stable_message_id(smtp, django_capture_on_commit_callbacks):
    user = UserFactory(email="bo@example.com", password=None)
    with django_capture_on_commit_callbacks(execute=True):
        queue_invitations(user_ids=[user.pk])
    [received] = smtp.received
    invitation = UserInvitation.objects.get()
    assert received.message["Message-ID"].startswith(f"<set-password.{invitation.pk}@")
    assert "/login/set-password/" in received.message.get_payload()
    assert (invitation.status, invitation.attempts, invitation.next_attempt) == ("sent", 1, None)


def test_a_permanent_refusal_fails_the_invitation_at_once(smtp, django_capture_on_commit_callbacks):
    smtp.handler.reply = "550 5.1.1 No such user"
    user = UserFactory(email="bo@example.com", password=None)
    with django_capture_on_commit_callbacks(execute=True):
        queue_invitations(user_ids=[user.pk])
    invitation = UserInvitation.objects.get()
    assert (invitation.status, invitation.attempts) == ("failed", 1)
    assert invitation.error == "SMTPDataError: 550 5.1.1 No such user"
    assert requeue_pending_invitations(now=timezone.now() + dt.timedelta(days=1)) == 0  # failed is final


def test_a_claimed_invitation_is_left_alone_until_its_claim_expires(smtp):
    user = UserFactory(email="bo@example.com", password=None)
    queue_invitations(user_ids=[user.pk])
    lease = timezone.now() + dt.timedelta(seconds=CLAIM_SECONDS)  # a worker claimed it, then died
    UserInvitation.objects.update(next_attempt=lease, attempts=1)
    assert deliver_invitations(user_ids=[user.pk]).sent == 0
    assert requeue_pending_invitations() == 0 and smtp.received == []

    assert requeue_pending_invitations(now=lease + dt.timedelta(seconds=1)) == 1  # lease over: handed on
    UserInvitation.objects.update(next_attempt=timezone.now())  # ... and now it is over for delivery too
    deliver_invitations(user_ids=[user.pk])
    assert (UserInvitation.objects.get().status, UserInvitation.objects.get().attempts) == ("sent", 2)
    assert smtp.per_recipient() == {"bo@example.com": 1}


def test_a_disabled_user_gets_no_set_password_email(mailoutbox):
    user = UserFactory(email="bo@example.com", password=None)
    queue_invitations(user_ids=[user.pk])
    set_user_enabled(user=user, enabled=False, actor=None)
    assert deliver_invitations(user_ids=[user.pk]).skipped == 1
    assert mailoutbox == []
    invitation = UserInvitation.objects.get()
    assert (invitation.status, invitation.error, invitation.attempts) == ("skipped", "The user is disabled.", 0)
