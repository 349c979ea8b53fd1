"""Who is calling: `Authorization: token KEY:SECRET` (as Frappe), or the session cookie with the
X-CSRFToken header (the portal's own calls). Nothing else gets in.

Reusable by every router: `API_AUTH` is the API's default, `require_roles` refuses with 403
`permission_denied` unless the caller has one of the roles (System Manager may do everything).
"""

from __future__ import annotations

import string
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja.security import APIKeyCookie, APIKeyHeader
from ninja.utils import check_csrf

from smoothlms.api.v1.errors import CsrfFailed, NotAuthenticated, RoleRequired
from smoothlms.people.models import User
from smoothlms.people.roles import COURSE_EDITORS, MODERATORS, ROSTER_READERS, USER_ADMINS, Role
from smoothlms.people.roles import HR_MANAGERS as HR
from smoothlms.people.selectors import get_user_by_api_key

__all__ = ["API_AUTH", "COURSE_EDITORS", "HR", "MODERATORS", "ROSTER_READERS", "USER_ADMINS", "require_roles"]

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
_KEY_CHARS = frozenset(string.ascii_letters + string.digits)
_SECRET_CHARS = frozenset(string.ascii_letters + string.digits + "-_")


class TokenAuth(APIKeyHeader):
    """`Authorization: token KEY:SECRET`. A header that is present but wrong (malformed, unknown
    key, wrong secret, disabled user) answers 401 at once instead of falling through to the session."""

    param_name = "Authorization"
    openapi_description = "`token KEY:SECRET`; `smoothlms api_key EMAIL` issues the pair."

    def authenticate(self, request: HttpRequest, key: str | None) -> User | None:
        if key is None:
            return None
        scheme, _, credentials = key.strip().partition(" ")
        api_key, colon, secret = credentials.strip().partition(":")
        if scheme.lower() != "token" or not colon or not api_key or not secret:
            raise NotAuthenticated("The Authorization header must read `token KEY:SECRET`.")
        # Checked before any query: keys and secrets are short and plain (no NUL bytes reach the database).
        if len(api_key) > 32 or len(secret) > 128 or not set(api_key) <= _KEY_CHARS or not set(secret) <= _SECRET_CHARS:
            raise NotAuthenticated("Invalid API key or secret.")
        user = get_user_by_api_key(key=api_key)
        if user is None or not user.check_api_secret(secret):
            raise NotAuthenticated("Invalid API key or secret.")
        if not user.enabled:
            raise NotAuthenticated("This user is disabled.")
        return user


class SessionAuth(APIKeyCookie):
    """The session cookie of /login. Unsafe methods also need X-CSRFToken (a 403 otherwise), so a
    page of another site cannot act with the learner's cookie."""

    param_name = settings.SESSION_COOKIE_NAME
    openapi_description = "The session cookie of /login; POST, PATCH and DELETE also need the X-CSRFToken header."

    def __init__(self) -> None:
        super().__init__(csrf=True)

    def __call__(self, request: HttpRequest) -> User | None:
        return self.authenticate(request, request.COOKIES.get(self.param_name))

    def authenticate(self, request: HttpRequest, key: str | None) -> User | None:
        user: Any = getattr(request, "user", None)
        # AuthenticationMiddleware already refuses disabled users (Anonymous); checked again here.
        if user is None or not user.is_authenticated or not user.enabled:
            return None
        if request.method not in SAFE_METHODS and check_csrf(request) is not None:
            raise CsrfFailed()
        return user


API_AUTH = [TokenAuth(), SessionAuth()]


def require_roles(user: User, *roles: str) -> None:
    """Refuse with 403 `permission_denied` unless `user` has one of `roles` (or is System Manager):
    one of the role sets of people.roles (MODERATORS, ROSTER_READERS, ...)."""
    if not user.has_role(*roles, Role.SYSTEM_MANAGER):
        raise RoleRequired(roles=sorted({str(role) for role in (*roles, Role.SYSTEM_MANAGER)}))
