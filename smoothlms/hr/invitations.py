"""Set-password emails: the invitation a provisioned user gets (they have no password yet) and the
"Forgot password?" link. Django's password-reset tokens: a link works until the password changes
(the token hashes the password), a sign-in happens, or PASSWORD_RESET_TIMEOUT passes."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from smoothlms.core.bulk import insert_rows
from smoothlms.core.db import chunked, select_for_update
from smoothlms.core.tasks import enqueue_after_commit
from smoothlms.hr.models import UserInvitation
from smoothlms.people.models import User, normalize_email

log = logging.getLogger(__name__)

TASK_CHUNK = 200
MAX_ATTEMPTS = 5
# One reset email per address per this many seconds: the form cannot be used to flood a mailbox.
RESET_INTERVAL = dt.timedelta(seconds=60)


def set_password_url(user: User) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return f"{settings.SITE_URL}/login/set-password/{uid}/{default_token_generator.make_token(user)}"


def queue_invitations(*, user_ids: Iterable[int], kind: str = "invitation") -> None:
    """Write one pending set-password email per user and send them once the caller's transaction
    commits (the rows are the outbox: a rolled-back provisioning sends nothing, a lost enqueue is
    picked up by `requeue_pending_invitations`)."""
    now = timezone.now()
    ids = list(dict.fromkeys(user_ids))
    insert_rows(UserInvitation, [{"user_id": user_id, "kind": kind, "created_at": now} for user_id in ids])
    _enqueue_after_commit(ids)


def _enqueue_after_commit(user_ids: list[int]) -> None:
    from smoothlms.hr.tasks import send_invitations

    for chunk in chunked(user_ids, TASK_CHUNK):
        enqueue_after_commit(send_invitations, chunk)  # a queue outage is logged; the sweep resends


@transaction.atomic(durable=True)
def request_password_reset(*, email: str) -> bool:
    """"Forgot password?": email a set-password link to an enabled user with that address. Unknown
    or disabled addresses get nothing, and the caller shows the same page either way (no way to learn
    who has an account). At most one link per address per minute. Side effects: the email, after
    commit. True when one was queued."""
    user = User.objects.filter(email=normalize_email(email), enabled=True).first()
    if user is None:
        return False
    recent = UserInvitation.objects.filter(user=user, kind="reset", created_at__gte=timezone.now() - RESET_INTERVAL)
    if recent.exists():
        return False
    queue_invitations(user_ids=[user.pk], kind="reset")
    return True


@transaction.atomic(durable=True)
def send_invitation(*, user: User, actor: User | None) -> None:
    """Queue a new invitation for `user` (the desk's "Send set-password email"). Side effects: the
    email, after commit."""
    queue_invitations(user_ids=[user.pk], kind="invitation")


@transaction.atomic
def set_user_password(*, user: User, password: str) -> User:
    """The user chose a password (through a set-password link). Side effects: `password_set`
    becomes true (User.set_password), the link stops working (the token hashes the password),
    pending set-password emails are dropped, and cohort confirmations held until now are released."""
    from smoothlms.notifications.services import release_held_emails

    user.set_password(password)
    user.save(update_fields=["password", "password_set", "updated_at"])
    UserInvitation.objects.filter(user=user, status=UserInvitation.Status.PENDING).update(
        status=UserInvitation.Status.SKIPPED, error="The password was set before this email went out.")
    release_held_emails(user=user)
    return user


def deliver_invitations(*, user_ids: list[int]) -> None:
    """Send the pending set-password emails of these users, each once. Safe to run twice: a row is
    re-read as pending under a row lock before its message goes out, and marked sent in the same
    transaction."""
    invitation_ids = list(UserInvitation.objects.filter(user_id__in=user_ids, status=UserInvitation.Status.PENDING)
                          .order_by("pk").values_list("pk", flat=True))
    for invitation_id in invitation_ids:
        try:
            _deliver_one(invitation_id)
        except Exception as exc:  # noqa: BLE001 - an SMTP failure must not stop the other emails
            log.warning("set-password email %s not sent: %s", invitation_id, exc)
            _record_failure(invitation_id, exc)


def _deliver_one(invitation_id: int) -> None:
    with transaction.atomic():
        invitation = (select_for_update(UserInvitation.objects.all(), of=("self",)).select_related("user")
                      .filter(pk=invitation_id, status=UserInvitation.Status.PENDING).first())
        if invitation is None:
            return  # sent, skipped or failed already: never twice
        user = invitation.user
        if not user.enabled or (invitation.kind == "invitation" and user.password_set):
            reason = "The user is disabled." if not user.enabled else "The user has already set a password."
            UserInvitation.objects.filter(pk=invitation.pk).update(status=UserInvitation.Status.SKIPPED, error=reason)
            return
        context = {"user": user, "name": user.display_name, "url": set_password_url(user),
                   "site_url": settings.SITE_URL, "login_url": f"{settings.SITE_URL}/login",
                   "valid_days": max(1, settings.PASSWORD_RESET_TIMEOUT // 86400)}
        template = "hr/email/invitation" if invitation.kind == "invitation" else "hr/email/reset"
        message = EmailMultiAlternatives(
            subject=render_to_string(f"{template}_subject.txt", context).strip(),
            body=render_to_string(f"{template}.txt", context),
            to=[user.email],
        )
        message.send()  # raises when the server refuses: the transaction rolls back, the row stays pending
        UserInvitation.objects.filter(pk=invitation.pk).update(
            status=UserInvitation.Status.SENT, sent_at=timezone.now(), attempts=invitation.attempts + 1, error="")


def _record_failure(invitation_id: int, exc: Exception) -> None:
    with transaction.atomic():
        invitation = UserInvitation.objects.filter(pk=invitation_id).first()
        if invitation is None or invitation.status != UserInvitation.Status.PENDING:
            return
        attempts = invitation.attempts + 1
        status = UserInvitation.Status.FAILED if attempts >= MAX_ATTEMPTS else UserInvitation.Status.PENDING
        UserInvitation.objects.filter(pk=invitation_id).update(attempts=attempts, status=status,
                                                               error=str(exc)[:1000])


def requeue_pending_invitations(*, older_than: dt.timedelta = dt.timedelta(minutes=10)) -> int:
    """The sweep: enqueue again what stayed pending (a lost enqueue, an SMTP outage). Returns how many."""
    ids = list(dict.fromkeys(UserInvitation.objects.filter(status=UserInvitation.Status.PENDING,
                                                           created_at__lt=timezone.now() - older_than)
                             .order_by("pk").values_list("user_id", flat=True)[:10000]))
    if ids:
        with transaction.atomic():
            _enqueue_after_commit(ids)
    return len(ids)
