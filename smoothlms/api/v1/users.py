"""Users: create, read, change roles or `enabled` (System Manager)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from ninja import Router
from ninja.responses import Status
from pydantic import AfterValidator, BaseModel, Field, StringConstraints

from smoothlms.api.v1.auth import USER_ADMINS, require_roles
from smoothlms.api.v1.errors import AUTH, BODY, VALIDATION, InvalidFields, responses
from smoothlms.api.v1.schemas import Email, Flag, Input, envelope, storable, text
from smoothlms.enrollment.models import Source
from smoothlms.enrollment.services import withdraw_disabled_user
from smoothlms.people.models import User
from smoothlms.people.roles import Role
from smoothlms.people.selectors import get_user
from smoothlms.people.services import create_user, set_user_enabled, set_user_roles

router = Router(tags=["users"])

FullName = text(200)
# Not trimmed: spaces are part of a password.
Password = Annotated[str, StringConstraints(min_length=1, max_length=128), AfterValidator(storable)]
EmailPath = text(320, description="The user's email (any case).")


class UserIn(Input):
    email: Email
    full_name: FullName = ""
    roles: list[Role] | None = Field(None, description="Default: LMS Student. An explicit list replaces it.")
    enabled: Flag = True
    password: Password | None = Field(
        None,
        description="Checked by the password rules; none: the user cannot sign in with a password until one is set.",
    )


class UserPatch(Input):
    roles: list[Role] = Field(None, description="The user's roles (replaces them).")  # type: ignore[assignment]
    enabled: Flag = Field(
        None,
        description="false: the user can no longer sign in or use the API; "  # type: ignore[assignment]
        "nothing of theirs is deleted.",
    )


class UserOut(BaseModel):
    email: str
    full_name: str
    enabled: bool
    roles: list[str]
    created_at: dt.datetime


def user_data(user: User) -> dict[str, Any]:
    return {
        "email": user.email,
        "full_name": user.full_name,
        "enabled": user.enabled,
        "roles": sorted(user.role_names),
        "created_at": user.created_at,
    }


NOT_FOUND = {404: "`user_not_found`: No user with email {email}."}
FORBIDDEN = {403: "`permission_denied`: only System Managers manage users."}


@router.post(
    "/users",
    summary="Create a user",
    **responses(
        201,
        envelope(UserOut),
        {**AUTH, **FORBIDDEN, 409: "`user_exists`: A user with email {email} already exists.", **BODY, **VALIDATION},
    ),
)
def create_user_endpoint(request: HttpRequest, body: UserIn):
    """Create a user. Roles default to LMS Student."""
    require_roles(request.auth, *USER_ADMINS)
    if body.password:
        try:
            validate_password(body.password, User(email=body.email, full_name=body.full_name))
        except ValidationError as exc:
            raise InvalidFields(detail="password: " + " ".join(exc.messages), fields=["password"]) from None
    user = create_user(
        email=body.email,
        full_name=body.full_name,
        roles=body.roles,
        password=body.password,
        enabled=body.enabled,
        actor=request.auth,
    )
    return Status(201, {"data": user_data(user)})


@router.get(
    "/users/{email}",
    summary="Read a user",
    **responses(200, envelope(UserOut), {**AUTH, **FORBIDDEN, **NOT_FOUND, **VALIDATION}),
)
def get_user_endpoint(request: HttpRequest, email: EmailPath):
    """Read a user."""
    require_roles(request.auth, *USER_ADMINS)
    return {"data": user_data(get_user(email=email))}


@router.patch(
    "/users/{email}",
    summary="Change roles or enabled",
    **responses(200, envelope(UserOut), {**AUTH, **FORBIDDEN, **NOT_FOUND, **BODY, **VALIDATION}),
)
def change_user_endpoint(request: HttpRequest, email: EmailPath, body: UserPatch):
    """Change a user's roles or `enabled` (both in one transaction)."""
    require_roles(request.auth, *USER_ADMINS)
    user = get_user(email=email)
    changes = body.model_dump(exclude_unset=True)
    with transaction.atomic():
        if "roles" in changes:
            set_user_roles(user=user, roles=changes["roles"], actor=request.auth)
        if "enabled" in changes:
            set_user_enabled(user=user, enabled=changes["enabled"], actor=request.auth)
            if not changes["enabled"]:
                withdraw_disabled_user(user=user, actor=request.auth, source=Source.API)
    user.__dict__.pop("role_names", None)
    return {"data": user_data(user)}
