"""Writes on people: users, roles, API keys."""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from django.db import models, transaction

from smoothlms.core.audit import record_event
from smoothlms.core.models import EventType
from smoothlms.core.timeutil import is_valid_time_zone
from smoothlms.people.errors import InvalidTimeZone, LastSystemManager
from smoothlms.people.models import User, role_groups
from smoothlms.people.models import clean_email as clean_email  # forms and the API check addresses through here
from smoothlms.people.roles import Role, system_manager_memberships


@transaction.atomic
def create_user(
    *,
    email: str,
    full_name: str = "",
    roles: Iterable[str] | None = None,
    password: str | None = None,
    enabled: bool = True,
    actor: User | None,
    superuser: bool = False,
    **extra,
) -> User:
    """Create a user. Rules: the email is valid and unused (in any case). Roles default to LMS
    Student; explicit roles replace that default. Side effects: audit event. (The rules live in
    User.objects.create_user, the one constructor, which Django's createsuperuser uses too.)"""
    return User.objects.create_user(
        email, password, roles=roles, full_name=full_name, enabled=enabled, actor=actor, superuser=superuser, **extra
    )


@transaction.atomic
def set_user_roles(*, user: User, roles: Iterable[str], actor: User | None) -> User:
    """Replace a user's roles. Side effects: audit event with the roles before and after."""
    groups = role_groups(roles)
    before = sorted(user.groups.values_list("name", flat=True))
    if Role.SYSTEM_MANAGER in before and all(g.name != Role.SYSTEM_MANAGER for g in groups):
        keep_a_system_manager(user=user)
    user.groups.set(groups)
    after = sorted(g.name for g in groups)
    user.__dict__.pop("role_names", None)
    if before != after:
        record_event(
            EventType.ROLES_CHANGED, actor=actor, member=user, before={"roles": before}, after={"roles": after}
        )
    return user


@transaction.atomic
def set_user_enabled(*, user: User, enabled: bool, actor: User | None, reason: str = "", source: str = "") -> User:
    """Enable or disable a user. Disabling keeps every enrollment and record; it only stops sign-in
    and API access. Side effects: audit event."""
    if user.enabled == enabled:
        return user
    if not enabled:
        keep_a_system_manager(user=user)
    User.objects.filter(pk=user.pk).update(enabled=enabled)
    user.enabled = enabled
    record_event(
        EventType.USER_ENABLED if enabled else EventType.USER_DISABLED,
        actor=actor,
        member=user,
        reason=reason,
        source=source,
        before={"enabled": not enabled},
        after={"enabled": enabled},
    )
    return user


def keep_a_system_manager(*, user: User) -> None:
    """Refuse (LastSystemManager) to disable `user` or take its System Manager role when it is the
    last enabled System Manager (a superuser counts as one). Call inside the write's transaction:
    the enabled System Managers are locked, so two such changes at once cannot both pass."""
    managers = User.objects.filter(enabled=True).filter(
        models.Q(is_superuser=True) | models.Q(pk__in=system_manager_memberships().values("user_id"))
    )
    # Locked, then filtered again on `enabled`: a manager disabled meanwhile by a change we waited
    # for is read as it is now (the lock re-reads the row), so it no longer counts.
    locked = set(
        User.objects.select_for_update()
        .filter(pk__in=list(managers.values_list("pk", flat=True)), enabled=True)
        .values_list("pk", flat=True)
    )
    if user.pk in locked and not locked - {user.pk}:
        raise LastSystemManager(email=user.email)


@transaction.atomic
def issue_api_key(*, user: User, actor: User | None = None) -> str:
    """A new `KEY:SECRET` for `user`; the previous pair stops working. Only the secret's hash is kept.
    Side effects: audit event naming the key (never the secret) and whether it replaced one."""
    key = secrets.token_hex(8)
    secret = secrets.token_urlsafe(24)
    previous = user.api_key
    User.objects.filter(pk=user.pk).update(api_key=key, api_secret_hash=User.hash_api_secret(secret))
    user.api_key, user.api_secret_hash = key, User.hash_api_secret(secret)
    record_event(
        EventType.API_KEY_ISSUED,
        actor=actor,
        member=user,
        before={"api_key": previous} if previous else None,
        after={"api_key": key},
    )
    return f"{key}:{secret}"


def ensure_calendar_token(*, user: User) -> str:
    """The private token of the user's calendar feed URL, made on first use."""
    if not user.calendar_token:
        token = secrets.token_urlsafe(32)
        User.objects.filter(pk=user.pk, calendar_token__isnull=True).update(calendar_token=token)
        user.refresh_from_db(fields=["calendar_token"])
    return user.calendar_token or ""


@transaction.atomic
def set_time_zone(*, user: User, time_zone: str, actor: User | None) -> User:
    """Set the zone in which `user` reads times beside each cohort's own. Rules: blank (use the
    browser's zone) or a real IANA name. Side effects: none; no rule depends on it (cohort times
    are always kept in the cohort's own zone), so no audit event."""
    time_zone = (time_zone or "").strip()
    if time_zone and not is_valid_time_zone(time_zone):
        raise InvalidTimeZone(value=time_zone[:64], fields=["time_zone"])
    user.time_zone = time_zone
    user.save(update_fields=["time_zone", "updated_at"])
    return user
