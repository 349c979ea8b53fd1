"""HR employees: upsert and read (HR Manager, System Manager), and the Frappe HRMS webhook (signed).
Every write goes through the HR provisioning service, like the file import and the HRMS sync."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
from typing import Annotated, Any

from django.conf import settings
from django.http import HttpRequest
from ninja import Router
from ninja.responses import Status
from pydantic import AfterValidator, BaseModel, BeforeValidator, Field, StringConstraints, WithJsonSchema

from smoothlms.api.v1.auth import HR, require_roles
from smoothlms.api.v1.errors import AUTH, BODY, VALIDATION, BadRequest, InvalidFields, NotAuthenticated, responses
from smoothlms.api.v1.schemas import Date, Input, checked_email, envelope, storable, text
from smoothlms.core.errors import DomainError
from smoothlms.hr.errors import InvalidStatus, RelievingBeforeJoining
from smoothlms.hr.records import LABELS, parse_record
from smoothlms.hr.selectors import get_employee
from smoothlms.hr.services import UNCHANGED, disable_threshold_setting, provision_employee
from smoothlms.people.errors import InvalidEmail
from smoothlms.people.models import Employee, EmployeeStatus

router = Router(tags=["employees"])
SIGNATURE_HEADER = "X-Frappe-Webhook-Signature"


def _email_or_blank(value: str) -> str:
    if not value:
        return ""
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return checked_email(value)


# Blank or null: no such address. Odd case and spaces are normalised.
OptionalEmail = (
    Annotated[
        str,
        StringConstraints(strip_whitespace=True, max_length=254),
        AfterValidator(_email_or_blank),
        WithJsonSchema(
            {"anyOf": [{"type": "string", "format": "email", "maxLength": 254}, {"type": "string", "enum": [""]}]}
        ),
    ]
    | None
)


def _moment_text(value: Any) -> Any:
    """An HR `modified` is ISO text: a number is not a time (pydantic would read it as a timestamp)."""
    if not isinstance(value, str):
        raise ValueError("give a date and time as ISO 8601 text, e.g. 2025-03-01T10:00:00")
    return value


Modified = Annotated[dt.datetime, BeforeValidator(_moment_text)]
HRId = text(140, min_length=1, description="The HR id (Frappe's Employee name), e.g. HR-EMP-00001.")


class EmployeeIn(Input):
    employee: HRId
    employee_name: text(200, min_length=1)  # type: ignore[valid-type]
    company_email: OptionalEmail = None
    personal_email: OptionalEmail = None
    user_id: OptionalEmail = Field(
        None,
        description="The user's email (Frappe's User ID). The user is the one "
        "with `user_id`, else `company_email`, else `personal_email`.",
    )
    status: EmployeeStatus
    date_of_joining: Date | None = None
    relieving_date: Date | None = None
    employment_type: text(64) | None = None  # type: ignore[valid-type]
    department: text(140) | None = None  # type: ignore[valid-type]
    designation: text(140) | None = None  # type: ignore[valid-type]
    modified: Modified | None = Field(
        None,
        description="When HR last changed the record (Frappe's `modified`): "
        "a record not newer than the stored one changes nothing.",
    )
    reports_to: text(140, description="The manager's HR id (Frappe's Reports To).") | None = None  # type: ignore


class EmployeeOut(BaseModel):
    employee: str
    employee_name: str
    company_email: str
    personal_email: str
    user_id: str | None = Field(description="The linked user's email; null when the employee has no user.")
    user_enabled: bool | None = Field(description="Whether the linked user can sign in; null without a user.")
    status: EmployeeStatus
    date_of_joining: dt.date | None
    relieving_date: dt.date | None
    employment_type: str
    department: str
    designation: str
    reports_to: str
    modified_in_hr: dt.datetime | None
    synced_at: dt.datetime | None


class WebhookEmployeeOut(EmployeeOut):
    unchanged: bool = Field(
        description="True when the document changed nothing (not newer than the stored one, or the same)."
    )


def employee_data(employee: Employee) -> dict[str, Any]:
    user = employee.user
    return {
        "employee": employee.employee,
        "employee_name": employee.employee_name,
        "company_email": employee.company_email,
        "personal_email": employee.personal_email,
        "user_id": user.email if user else None,
        "user_enabled": user.enabled if user else None,
        "status": employee.status,
        "date_of_joining": employee.date_of_joining,
        "relieving_date": employee.relieving_date,
        "employment_type": employee.employment_type,
        "department": employee.department,
        "designation": employee.designation,
        "reports_to": employee.reports_to,
        "modified_in_hr": employee.modified_in_hr,
        "synced_at": employee.synced_at,
    }


_BY_LABEL = {label: name for name, label in LABELS.items()}


def _is_refused_email(value: Any) -> bool:
    try:
        checked_email(str(value or "").strip())
    except ValueError:
        return bool(value)
    return False


def _parse(document: dict[str, Any]):
    """The record, or 422 `validation_error` naming the field at fault."""
    try:
        return parse_record(document)
    except DomainError as error:
        if isinstance(error, RelievingBeforeJoining):
            field = "relieving_date"
        elif isinstance(error, InvalidEmail):
            field = next(
                (
                    name
                    for name in ("user_id", "company_email", "personal_email")
                    if _is_refused_email(document.get(name))
                ),
                "email",
            )
        elif isinstance(error, InvalidStatus):
            field = "status"
        else:
            field = _BY_LABEL.get(str(error.params.get("field", "")), "employee")
        raise InvalidFields(detail=f"{field}: {error.user_message()}", fields=[field]) from None


FORBIDDEN = {403: "`permission_denied`: only HR Managers and System Managers manage employees."}
CONFLICT = {
    409: "`user_linked_to_other_employee`: The user {email} is already linked to the active employee "
    "{other}. `staff_account`: The user {email} holds a staff role; only a System Manager can link it "
    "to an HR record. `last_system_manager`: the record would disable the last enabled System Manager. "
    "`too_many_disables`: past the disable threshold."
}


UPSERT_DOC = responses(201, envelope(EmployeeOut), {**AUTH, **FORBIDDEN, **CONFLICT, **BODY, **VALIDATION})
UPSERT_DOC["response"][200] = envelope(EmployeeOut)  # an existing record, updated (or unchanged)


@router.post("/employees", summary="Create or update an employee", **UPSERT_DOC)
def upsert_employee_endpoint(request: HttpRequest, body: EmployeeIn):
    """Upsert by `employee` (the HR id): provisions the user (LMS Student, a set-password email) or
    links an existing one by email, re-enables a rehire, disables a leaver. 201 when the employee
    record is new, 200 otherwise."""
    require_roles(request.auth, *HR)
    record = _parse(body.model_dump())
    existed = Employee.objects.filter(employee=record.employee).exists()
    employee, _ = provision_employee(record=record, actor=request.auth, source="api")
    return Status(200 if existed else 201, {"data": employee_data(employee)})


@router.get(
    "/employees/{employee}",
    summary="Read an employee",
    **responses(
        200,
        envelope(EmployeeOut),
        {**AUTH, **FORBIDDEN, 404: "`not_found`: No employee with HR id {employee}.", **VALIDATION},
    ),
)
def get_employee_endpoint(request: HttpRequest, employee: HRId):
    """Read an employee by HR id."""
    require_roles(request.auth, *HR)
    return {"data": employee_data(get_employee(employee=employee))}


def signature_is_valid(body: bytes, signature: str) -> bool:
    """Whether `signature` is the base64 HMAC-SHA256 of `body`. Anything else is simply not valid:
    a header with non-ASCII characters (compare_digest refuses them), bad base64, the wrong length."""
    secret = settings.HR_WEBHOOK_SECRET
    given = (signature or "").strip()
    if not secret or not given or not given.isascii():
        return False
    expected = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    return hmac.compare_digest(expected, given)


def _storable_document(document: dict[str, Any]) -> None:
    """The fields a record reads hold plain values the databases can store (no NUL, no lone
    surrogates, no nested objects): 422 naming the field otherwise."""
    for name in ("name", *LABELS, "modified"):
        value = document.get(name)
        if isinstance(value, dict | list):
            raise InvalidFields(detail=f"{name}: must be text, not a JSON {type(value).__name__}.", fields=[name])
        if isinstance(value, str):
            try:
                storable(value)
            except ValueError as problem:
                raise InvalidFields(detail=f"{name}: {problem}.", fields=[name]) from None


WEBHOOK_DOC = responses(
    200,
    envelope(WebhookEmployeeOut),
    {
        401: f"`not_authenticated`: the `{SIGNATURE_HEADER}` header is missing or does not match the body.",
        **CONFLICT,
        **BODY,
        **VALIDATION,
    },
)
WEBHOOK_DOC["openapi_extra"].update(
    {
        "parameters": [
            {
                "in": "header",
                "name": SIGNATURE_HEADER,
                "required": True,
                "schema": {"type": "string"},
                "description": "base64 of the HMAC-SHA256 of the raw body with HR_WEBHOOK_SECRET.",
            }
        ],
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "description": "A Frappe HRMS Employee document (`name` or `employee` is the HR id), "
                        'bare or as `{"doc": ...}`.',
                    }
                }
            },
        },
    }
)


@router.post("/hr/webhook", auth=None, summary="Frappe HRMS webhook", **WEBHOOK_DOC)
def hr_webhook_endpoint(request: HttpRequest):
    """A Frappe HRMS Employee document (on insert, update or status change): the same effect as
    `POST /employees`. The signature is checked before anything is read; a missing or bad one is
    401 and writes nothing."""
    body = request.body
    if not signature_is_valid(body, request.headers.get(SIGNATURE_HEADER, "")):
        raise NotAuthenticated(f"Missing or invalid {SIGNATURE_HEADER} header.")
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise BadRequest() from None
    except RecursionError:
        raise BadRequest("The request body is nested too deeply to read.") from None
    if isinstance(document, dict) and isinstance(document.get("doc"), dict):
        document = document["doc"]
    if not isinstance(document, dict):
        raise InvalidFields(detail="body: a Frappe Employee document (a JSON object) is expected.", fields=["body"])
    _storable_document(document)
    record = _parse(document)
    # The webhook has no acting user: never a System Manager. Its disables count per hour.
    employee, action = provision_employee(
        record=record, actor=None, source="webhook", disable_threshold=disable_threshold_setting()
    )
    return {"data": {**employee_data(employee), "unchanged": action == UNCHANGED}}
