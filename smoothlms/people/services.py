"""Writes on people: users, roles, API keys."""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Iterable

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from smoothlms.core.audit import record_event
from smoothlms.core.models import EventType
from smoothlms.core.timeutil import is_valid_time_zone
from smoothlms.people.errors import (
    InvalidEmail,
    InvalidTimeZone,
    InvisibleCharacterInEmail,
    MixedScriptEmail,
    UnknownRole,
    UserExists,
)
from smoothlms.people.models import User, normalize_email
from smoothlms.people.roles import DEFAULT_ROLES, Role

# A strict subset of what Django's EmailValidator accepts (dot-atom local part, LDH domain labels,
# alphabetic TLD, no punycode): most addresses match it and skip the slower checks (50,000-row files).
_PLAIN_EMAIL = re.compile(
    r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")
# Control, format (zero-width, bidi controls), private-use, surrogate and unassigned characters, and
# line or paragraph separators: nothing a person types on purpose, and invisible on screen.
_INVISIBLE = frozenset({"Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp"})
_LABEL_DOTS = re.compile("[.\u3002]")  # IDNA also reads the ideographic full stop as a dot
# Scripts that one label may mix (Unicode TS #39, "highly restrictive"): Latin with Japanese,
# Chinese or Korean writing. Any other mix (Latin with Cyrillic, Greek with Latin...) is a look-alike.
_SCRIPT_MIXES = (frozenset({"LATIN", "CJK", "HIRAGANA", "KATAKANA"}), frozenset({"LATIN", "CJK", "BOPOMOFO"}),
                 frozenset({"LATIN", "CJK", "HANGUL"}))


def clean_email(email: str) -> str:
    """The normalised address (NFKC, trimmed, lower case: `normalize_email`), or InvalidEmail naming
    what was given. The one check of an address, on every path that stores one (API, desk, imports,
    HR records): refused are invalid addresses, invisible or control characters (`asha@example.com`
    followed by a zero-width space), and domain labels that mix scripts (a Cyrillic `а` in
    `exаmple.com`), punycode labels included."""
    normalized = normalize_email(email)
    if len(normalized) <= 254 and _PLAIN_EMAIL.fullmatch(normalized) and "xn--" not in normalized:
        return normalized
    shown = _shown(email)
    invisible = next((char for char in normalized if unicodedata.category(char) in _INVISIBLE), None)
    if invisible is not None:
        raise InvisibleCharacterInEmail(email=shown, character=f"U+{ord(invisible):04X}")
    try:
        validate_email(normalized)
    except ValidationError:
        raise InvalidEmail(email=shown) from None
    for label in _LABEL_DOTS.split(normalized.rpartition("@")[2]):
        scripts = _scripts(_unicode_label(label, shown))
        if len(scripts) > 1 and not any(scripts <= allowed for allowed in _SCRIPT_MIXES):
            names = " and ".join(script.title() for script in sorted(scripts))
            raise MixedScriptEmail(email=shown, label=label, scripts=names)
    return normalized


def _shown(email: str) -> str:
    """The address as typed, for messages: invisible characters written out as \\uXXXX."""
    text = (email or "").strip() or "(blank)"
    return "".join(f"\\u{ord(char):04x}" if unicodedata.category(char) in _INVISIBLE else char
                   for char in text)[:254]


def _unicode_label(label: str, shown: str) -> str:
    if not label.startswith("xn--"):
        return label
    try:
        return label.encode("ascii").decode("idna")
    except UnicodeError:
        raise InvalidEmail(email=shown) from None


def _scripts(label: str) -> set[str]:
    """The scripts of a label's letters (digits and hyphens belong to none), from their Unicode names:
    `LATIN SMALL LETTER A`, `CYRILLIC SMALL LETTER A`, `CJK UNIFIED IDEOGRAPH-4E00`..."""
    return {unicodedata.name(char, "UNKNOWN").split(" ")[0] for char in label
            if not (char.isascii() and not char.isalpha()) and unicodedata.category(char)[0] in "LM"}


def _role_groups(roles: Iterable[str]) -> list[Group]:
    wanted = list(dict.fromkeys(roles))
    unknown = [role for role in wanted if role not in Role.values]
    if unknown:
        raise UnknownRole(role=unknown[0], roles=", ".join(Role.values))
    groups = list(Group.objects.filter(name__in=wanted))
    if len(groups) < len(wanted):
        # The roles come with a data migration; a flushed database (transactional tests, a
        # `flush`) loses them, and they are re-created here rather than failing every sign-up.
        Group.objects.bulk_create([Group(name=name) for name in wanted], ignore_conflicts=True)
        groups = list(Group.objects.filter(name__in=wanted))
    return groups


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
    Student; explicit roles replace that default. Side effects: audit event."""
    address = clean_email(email)
    groups = _role_groups(DEFAULT_ROLES if roles is None else roles)
    user = User(email=address, full_name=(full_name or "").strip(), enabled=enabled, is_superuser=superuser,
                **extra)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    try:
        with transaction.atomic():  # savepoint: a duplicate must not poison the caller's transaction
            user.save()
    except IntegrityError:
        if User.objects.filter(email=address).exists():
            raise UserExists(email=address) from None
        raise
    user.groups.set(groups)
    record_event(EventType.USER_CREATED, actor=actor, member=user,
                 after={"email": address, "roles": sorted(g.name for g in groups), "enabled": enabled})
    return user


@transaction.atomic
def set_user_roles(*, user: User, roles: Iterable[str], actor: User | None) -> User:
    """Replace a user's roles. Side effects: audit event with the roles before and after."""
    groups = _role_groups(roles)
    before = sorted(user.groups.values_list("name", flat=True))
    user.groups.set(groups)
    after = sorted(g.name for g in groups)
    user.__dict__.pop("role_names", None)
    if before != after:
        record_event(EventType.ROLES_CHANGED, actor=actor, member=user, before={"roles": before},
                     after={"roles": after})
    return user


@transaction.atomic
def set_user_enabled(*, user: User, enabled: bool, actor: User | None, reason: str = "") -> User:
    """Enable or disable a user. Disabling keeps every enrollment and record; it only stops sign-in
    and API access. Side effects: audit event."""
    if user.enabled == enabled:
        return user
    User.objects.filter(pk=user.pk).update(enabled=enabled)
    user.enabled = enabled
    record_event(EventType.USER_ENABLED if enabled else EventType.USER_DISABLED, actor=actor, member=user,
                 reason=reason, before={"enabled": not enabled}, after={"enabled": enabled})
    return user


@transaction.atomic
def issue_api_key(*, user: User, actor: User | None = None) -> str:
    """A new `KEY:SECRET` for `user`; the previous pair stops working. Only the secret's hash is kept.
    Side effects: audit event naming the key (never the secret) and whether it replaced one."""
    key = secrets.token_hex(8)
    secret = secrets.token_urlsafe(24)
    previous = user.api_key
    User.objects.filter(pk=user.pk).update(api_key=key, api_secret_hash=User.hash_api_secret(secret))
    user.api_key, user.api_secret_hash = key, User.hash_api_secret(secret)
    record_event(EventType.API_KEY_ISSUED, actor=actor, member=user,
                 before={"api_key": previous} if previous else None, after={"api_key": key})
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
