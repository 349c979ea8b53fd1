"""Reads on people."""

from __future__ import annotations

from smoothlms.people.errors import UserNotFound
from smoothlms.people.models import User, normalize_email


def get_user(*, email: str) -> User:
    address = normalize_email(email)
    try:
        return User.objects.get(email=address)
    except User.DoesNotExist:
        raise UserNotFound(email=address or "(blank)") from None


def get_user_by_api_key(*, key: str) -> User | None:
    return User.objects.filter(api_key=key).first() if key else None
