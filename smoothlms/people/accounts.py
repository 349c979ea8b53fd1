"""Accounts: set-password emails (the invitation a provisioned user gets, since they have no
password yet, and the "Forgot password?" link) and choosing a password through one. Django's
password-reset tokens: a link works until the password changes (the token hashes the password),
a sign-in happens, or PASSWORD_RESET_TIMEOUT passes.

The emails are UserInvitation rows, the outbox; notifications delivers them (one sender, one
retry policy for every email), told through people.signals."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from smoothlms.core.bulk import insert_rows
from smoothlms.people.models import INVITATION, RESET, User, UserInvitation, normalize_email
from smoothlms.people.signals import password_set, set_password_emails_pending

# One reset email per address per this many seconds: the form cannot be used to flood a mailbox.
RESET_INTERVAL = dt.timedelta(seconds=60)


def set_password_url(user: User) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return f"{settings.SITE_URL}/login/set-password/{uid}/{default_token_generator.make_token(user)}"


def queue_invitations(*, user_ids: Iterable[int], kind: str = INVITATION) -> None:
    """Write one pending set-password email per user, to be sent once the caller's transaction
    commits (the rows are the outbox: a rolled-back provisioning sends nothing, and the email sweep
    picks up what a lost enqueue left pending)."""
    now = timezone.now()
    ids = list(dict.fromkeys(user_ids))
    if not ids:
        return
    insert_rows(UserInvitation, [{"user_id": user_id, "kind": kind, "created_at": now} for user_id in ids])
    set_password_emails_pending.send(sender=UserInvitation, user_ids=ids)


@transaction.atomic(durable=True)
def request_password_reset(*, email: str) -> bool:
    """ "Forgot password?": email a set-password link to an enabled user with that address. Unknown
    or disabled addresses get nothing, and the caller shows the same page either way (no way to learn
    who has an account). At most one link per address per minute. Side effects: the email, after
    commit. True when one was queued."""
    user = User.objects.filter(email=normalize_email(email), enabled=True).first()
    if user is None:
        return False
    recent = UserInvitation.objects.filter(user=user, kind=RESET, created_at__gte=timezone.now() - RESET_INTERVAL)
    if recent.exists():
        return False
    queue_invitations(user_ids=[user.pk], kind=RESET)
    return True


@transaction.atomic(durable=True)
def send_invitation(*, user: User, actor: User | None) -> None:
    """Queue a new invitation for `user` (the desk's "Send set-password email"). Side effects: the
    email, after commit."""
    queue_invitations(user_ids=[user.pk], kind=INVITATION)


@transaction.atomic
def set_user_password(*, user: User, password: str) -> User:
    """The user chose a password (through a set-password link). Side effects: `password_set`
    becomes true (User.set_password), the link stops working (the token hashes the password),
    pending set-password emails are dropped, and `password_set` is announced (notifications
    releases the cohort confirmations held until now)."""
    user.set_password(password)
    user.save(update_fields=["password", "password_set", "updated_at"])
    UserInvitation.objects.filter(user=user, status=UserInvitation.Status.PENDING).update(
        status=UserInvitation.Status.SKIPPED, error="The password was set before this email went out."
    )
    password_set.send(sender=User, user=user)
    return user
