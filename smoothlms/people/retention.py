"""Retention: what happens to a person's data when they go.

Disabling a user (HR marks a leaver, or a System Manager by hand) changes nothing but the
`enabled` flag: every enrollment, course enrollment, training assignment, quiz attempt and
submission, assignment submission, certificate and audit event stays, so auditors can still see
who completed what by when.

Erasing is a separate, deliberate act: `purge_user` (the command `smoothlms purge_user EMAIL
--confirm`) is the only way. It anonymises instead of deleting, so the counts and dates that
evidence training stay true while nothing names the person any more. Quiz submissions hold no
copy of the learner's name or email (their print format reads them from the user), so they name
the placeholder after a purge while every question, answer, correct answer and mark stays as it
was: quiz submissions cannot be changed at all, not even by a purge.
"""

from __future__ import annotations

import json
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from smoothlms.core.audit import record_event
from smoothlms.core.errors import Conflict, Invalid
from smoothlms.core.models import EnrollmentEvent, EventType
from smoothlms.people.models import Employee, User
from smoothlms.people.signals import user_purged

PURGED_DOMAIN = "invalid"  # RFC 2606: a top-level domain that never delivers mail


class PurgeNotConfirmed(Invalid):
    code = "confirmation_required"
    message = (
        "Purging erases the personal data of {email} for good (their enrollments, submissions and "
        "certificates stay, anonymised). Run it again with --confirm."
    )


class AlreadyPurged(Conflict):
    code = "already_purged"
    message = "The user {email} has already been purged."


def purged_email(user: User) -> str:
    return f"purged-{user.pk}@{PURGED_DOMAIN}"


def is_purged(user: User) -> bool:
    return user.email == purged_email(user)


def _scrub(value: Any, secrets: list[str], replacement: str) -> Any:
    """`value` (an event's before/after JSON) with every text that contains one of `secrets`
    (the person's emails and name) replaced by `replacement`."""
    if value is None:
        return None
    text = json.dumps(value)
    if not any(secret and json.dumps(secret)[1:-1].lower() in text.lower() for secret in secrets):
        return value

    def clean(item: Any) -> Any:
        if isinstance(item, dict):
            return {key: clean(inner) for key, inner in item.items()}
        if isinstance(item, list):
            return [clean(inner) for inner in item]
        if isinstance(item, str) and any(secret and secret.lower() in item.lower() for secret in secrets):
            return replacement
        return item

    return clean(value)


@transaction.atomic(durable=True)
def purge_user(*, user: User, actor: User | None, confirm: bool, reason: str = "") -> User:
    """Erase a person's personal data, keeping the records that evidence their training.

    Rules: only with `confirm` (PurgeNotConfirmed otherwise); a purged user is not purged again
    (AlreadyPurged). What changes: the user's email becomes `purged-<id>@invalid` (unique, never
    delivered), the name, time zone, API key and calendar token are cleared, the password made
    unusable, roles removed and the user disabled; Employee records linked to the user or bearing
    its email keep their HR id but lose names and emails; audit events lose the person's email as
    actor and any before/after value naming them. Nothing is deleted: enrollments, course
    enrollments, training assignments, quiz submissions, certificates, payments and audit events
    stay, pointing at the anonymous user; quiz and assignment submissions keep their answers as
    given. Side effects: a USER_PURGED audit event (naming the placeholder, never the old email);
    `user_purged` (stored certificate PDFs, which print the name, are dropped and render again
    anonymised)."""
    if is_purged(user):
        raise AlreadyPurged(email=user.email)
    if not confirm:
        raise PurgeNotConfirmed(email=user.email)
    user = User.objects.select_for_update().get(pk=user.pk)  # a concurrent purge waits, then sees it is done
    if is_purged(user):
        raise AlreadyPurged(email=user.email)
    old_email, old_name = user.email, user.full_name
    placeholder = purged_email(user)
    employees = Employee.objects.filter(
        Q(user=user) | Q(company_email__iexact=old_email) | Q(personal_email__iexact=old_email)
    )
    secrets = [
        old_email,
        *(name for name in [old_name, *employees.values_list("employee_name", flat=True)] if name and len(name) > 2),
    ]
    secrets += [e for pair in employees.values_list("company_email", "personal_email") for e in pair if e]
    was_enabled = user.enabled

    user.email = placeholder
    user.full_name = ""
    user.time_zone = ""
    user.api_key = None
    user.api_secret_hash = ""
    user.calendar_token = None
    user.enabled = False
    user.set_unusable_password()
    user.password_set = False
    user.save()
    user.groups.clear()
    user.user_permissions.clear()
    employees.update(employee_name="", company_email="", personal_email="", updated_at=timezone.now())

    # Audit events are append-only for every routine path; erasure is the one sanctioned rewrite,
    # done with queryset updates (EnrollmentEvent.save refuses updates on purpose).
    EnrollmentEvent.objects.filter(Q(actor=user) | Q(actor_email__iexact=old_email)).update(actor_email="")
    related = EnrollmentEvent.objects.filter(Q(member=user) | Q(actor=user)).exclude(
        before__isnull=True, after__isnull=True
    )
    for pk, before, after in related.values_list("pk", "before", "after"):
        cleaned = (_scrub(before, secrets, placeholder), _scrub(after, secrets, placeholder))
        if cleaned != (before, after):
            EnrollmentEvent.objects.filter(pk=pk).update(before=cleaned[0], after=cleaned[1])

    record_event(
        EventType.USER_PURGED,
        actor=actor,
        member=user,
        reason=reason,
        before={"enabled": was_enabled},
        after={"email": placeholder, "enabled": False},
    )
    user_purged.send(sender=User, user_id=user.pk)
    return user
