"""The API's one error mapping: every refusal is `{"error": {"code", "message", "params"}}`.

Domain errors carry their code, message and params; the HTTP status comes from their category
(NotFound 404, Forbidden 403, Conflict 409, Invalid 422, PaymentRequired 402). What only the
HTTP surface can refuse (credentials, unreadable or oversized bodies, schema validation) is
expressed here as DomainErrors too, so that every response goes through `error_response`.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from django.views.csrf import csrf_failure as django_csrf_failure
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.renderers import JSONRenderer
from pydantic import BaseModel, Field

from smoothlms.core.errors import Conflict, DomainError, Forbidden, Invalid, NotFound, PaymentRequired

logger = logging.getLogger("smoothlms.api")

STATUS_BY_CATEGORY: list[tuple[type[DomainError], int]] = [
    (NotFound, 404),
    (Forbidden, 403),
    (Conflict, 409),
    (Invalid, 422),
    (PaymentRequired, 402),
]


# Refusals of the HTTP surface ------------------------------------------------------------------


class ApiError(DomainError):
    """A refusal that only the API makes; `status` is its HTTP status."""

    status = 400


class BadRequest(ApiError):
    code = "bad_request"
    message = "The request body is not valid JSON."


class NotAuthenticated(ApiError):
    status = 401
    code = "not_authenticated"
    message = (
        "Authentication credentials were not provided: send the header "
        "`Authorization: token KEY:SECRET`, or sign in and send the session cookie with X-CSRFToken."
    )


class PayloadTooLarge(ApiError):
    status = 413
    code = "payload_too_large"
    message = "The request body is larger than the limit of {limit} bytes."


class MethodNotAllowed(ApiError):
    status = 405
    code = "method_not_allowed"
    message = "The method {method} is not allowed here. Allowed: {allowed}."


class ServerError(ApiError):
    status = 500
    code = "server_error"
    message = "An unexpected error occurred. It has been logged."


class EndpointNotFound(NotFound):
    message = "No API endpoint at {path}."


class CsrfFailed(Forbidden):
    message = (
        "CSRF check failed: with the session cookie, send the X-CSRFToken header "
        "with the value of the csrftoken cookie."
    )


class RoleRequired(Forbidden):
    message = "You do not have permission to do this."


class InvalidFields(Invalid):
    """Input that does not match the schema: params.fields names the fields (unknown ones too)."""

    code = "validation_error"
    message = "The request is not valid: {detail}"


def status_for(error: DomainError) -> int:
    if isinstance(error, ApiError):
        return error.status
    for category, status in STATUS_BY_CATEGORY:
        if isinstance(error, category):
            return status
    return 400


# Documented shapes --------------------------------------------------------------------------


class ErrorDetail(BaseModel):
    code: str = Field(description="A stable code (CONTRACT.md section 6), e.g. `cohort_full`.")
    message: str = Field(description="A sentence for people; the same text the portal shows.")
    params: dict[str, Any] = Field(
        description='The values in the message, e.g. `{"name": "python-101"}`; '
        "for `validation_error`, `fields` lists the fields at fault."
    )


class ErrorOut(BaseModel):
    error: ErrorDetail


def error_response(request: HttpRequest, error: DomainError) -> HttpResponse:
    body = {"error": {"code": error.code, "message": error.user_message(), "params": error.params}}
    response = HttpResponse(
        JSONRenderer().render(request, body, response_status=status_for(error)),
        status=status_for(error),
        content_type="application/json; charset=utf-8",
    )
    if isinstance(error, NotAuthenticated):
        response["WWW-Authenticate"] = 'Token realm="api"'
    return response


# Pydantic/ninja validation errors -> validation_error ---------------------------------------------

MAX_LISTED = 10
_MESSAGES = {"missing": "required", "extra_forbidden": "unknown field"}


def _location(loc: tuple | list) -> list[str]:
    """The field path of a ninja error location: ("body", "body", "members", 3) -> ["members", "3"]."""
    source, *rest = [str(part) for part in loc]
    if source == "body" and rest:
        rest = rest[1:]  # the view's body parameter, not a field of the document
    return rest or [source]


def invalid_fields(errors: list[dict[str, Any]]) -> InvalidFields:
    fields: list[str] = []
    problems: list[str] = []
    for error in errors:
        path = _location(error.get("loc") or ("body",))
        if path[0] not in fields:
            fields.append(path[0])
        message = _MESSAGES.get(error.get("type", ""), str(error.get("msg", "invalid")))
        problems.append(f"{'.'.join(path)}: {message.removeprefix('Value error, ')}")
    detail = "; ".join(problems[:MAX_LISTED]) + ("; ..." if len(problems) > MAX_LISTED else "") + "."
    return InvalidFields(detail=detail, fields=fields)


# Handlers --------------------------------------------------------------------------------------


def _too_large() -> PayloadTooLarge:
    return PayloadTooLarge(limit=settings.DATA_UPLOAD_MAX_MEMORY_SIZE)


def _on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if isinstance(exc, AuthenticationError):
        return error_response(request, NotAuthenticated())
    if isinstance(exc.__cause__, RequestDataTooBig):  # ninja wraps errors of reading the body
        return error_response(request, _too_large())
    if exc.status_code == 400:
        return error_response(request, BadRequest())
    error = ApiError(str(exc).replace("{", "{{").replace("}", "}}"))  # a plain text, not a template
    error.status = exc.status_code
    error.code = {401: "not_authenticated", 403: "permission_denied", 404: "not_found"}.get(
        exc.status_code, "bad_request"
    )
    return error_response(request, error)


def _on_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("unexpected error in %s %s", request.method, request.path, exc_info=exc)
    return error_response(request, ServerError())


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: under /api/ the JSON envelope (403 `permission_denied`), elsewhere Django's page."""
    if request.path.startswith("/api/"):
        return error_response(request, CsrfFailed())
    return django_csrf_failure(request, reason=reason)


def install_error_handlers(api: NinjaAPI) -> None:
    """Route every exception an operation can raise through `error_response`."""
    api.add_exception_handler(DomainError, error_response)
    api.add_exception_handler(
        NinjaValidationError, lambda request, exc: error_response(request, invalid_fields(exc.errors))
    )
    api.add_exception_handler(HttpError, _on_http_error)
    api.add_exception_handler(RequestDataTooBig, lambda request, exc: error_response(request, _too_large()))
    api.add_exception_handler(
        Http404, lambda request, exc: error_response(request, EndpointNotFound(path=request.path))
    )
    api.add_exception_handler(PermissionDenied, lambda request, exc: error_response(request, RoleRequired()))
    api.add_exception_handler(Exception, _on_unexpected)


# OpenAPI documentation of error responses --------------------------------------------------------

AUTH = {401: "`not_authenticated`: no credentials, a bad key or secret, or a disabled user."}
BODY = {
    400: "`bad_request`: the body is not JSON.",
    413: "`payload_too_large`: the body is larger than the upload limit (5 MB by default).",
}
VALIDATION = {422: "`validation_error`: bad, missing or unknown fields, named in `params.fields`."}


def responses(status: int, model: Any, errors: dict[int, str]) -> dict[str, Any]:
    """Route keyword arguments that document the success model and each error status (with the
    codes it carries) in the OpenAPI document."""
    return {
        "response": {status: model, **{code: ErrorOut for code in errors}},
        "openapi_extra": {"responses": {code: {"description": text} for code, text in errors.items()}},
    }
