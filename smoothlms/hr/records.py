"""One HR employee record, whichever path it came by (file, API, webhook, HRMS REST), checked and
normalised into the form the provisioning service takes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from smoothlms.core.errors import Invalid
from smoothlms.hr.errors import InvalidDate, InvalidStatus, MissingField, RelievingBeforeJoining
from smoothlms.people.models import EmployeeStatus, normalize_email
from smoothlms.people.services import clean_email

# Fieldname -> the Frappe HRMS report label (CONTRACT.md section 7). Files may use either, in any case.
LABELS: dict[str, str] = {
    "employee": "ID",
    "employee_name": "Full Name",
    "company_email": "Company Email",
    "personal_email": "Personal Email",
    "user_id": "User ID",
    "status": "Status",
    "date_of_joining": "Date of Joining",
    "relieving_date": "Relieving Date",
    "employment_type": "Employment Type",
    "department": "Department",
    "designation": "Designation",
    "reports_to": "Reports To",
}
_STATUSES = {status.lower(): status for status in EmployeeStatus.values}

# Employee model fields a record sets (the user link is decided by provisioning).
EMPLOYEE_FIELDS = (
    "employee_name",
    "company_email",
    "personal_email",
    "status",
    "date_of_joining",
    "relieving_date",
    "employment_type",
    "department",
    "designation",
    "reports_to",
)


@dataclass
class EmployeeRecord:
    employee: str
    employee_name: str = ""
    company_email: str = ""
    personal_email: str = ""
    user_id: str = ""
    status: str = EmployeeStatus.ACTIVE
    date_of_joining: dt.date | None = None
    relieving_date: dt.date | None = None
    employment_type: str = ""
    department: str = ""
    designation: str = ""
    reports_to: str = ""  # the manager's HR id
    modified_in_hr: dt.datetime | None = None
    row: int | None = field(default=None, compare=False)  # where it came from, for per-row reports
    # The EMPLOYEE_FIELDS its source had (a file's columns); None: all of them. A field the source
    # lacks leaves the stored value as it is.
    given: frozenset[str] | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        # Stored and matched under one spelling, however the record was made.
        self.company_email = normalize_email(self.company_email)
        self.personal_email = normalize_email(self.personal_email)
        self.user_id = normalize_email(self.user_id)
        self.reports_to = (self.reports_to or "").strip()

    @property
    def emails(self) -> list[str]:
        """Frappe's preferred-email order: User ID, then Company Email, then Personal Email."""
        return [email for email in (self.user_id, self.company_email, self.personal_email) if email]

    @property
    def preferred_email(self) -> str:
        emails = self.emails
        return emails[0] if emails else ""

    def is_leaver(self, *, today: dt.date) -> bool:
        """Left, or the relieving date has passed (the relieving date itself is the last working day)."""
        return self.status == EmployeeStatus.LEFT or (self.relieving_date is not None and self.relieving_date < today)

    def is_active(self, *, today: dt.date) -> bool:
        return self.status == EmployeeStatus.ACTIVE and not self.is_leaver(today=today)

    def employee_values(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in EMPLOYEE_FIELDS}

    def keep_missing(self, stored: Mapping[str, Any]) -> None:
        """Take the stored value of each field its source lacks (an import changes only its columns)."""
        if self.given is None:
            return
        for name in EMPLOYEE_FIELDS:
            if name not in self.given:
                setattr(self, name, stored[name])


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():  # spreadsheets turn numeric ids into floats
        value = int(value)
    return str(value).strip()


def _email(value: Any) -> str:
    """Blank, or the address as people.services.clean_email checks and normalises every address."""
    text = _text(value)
    return clean_email(text) if text else ""


def parse_date(value: Any, label: str) -> dt.date | None:
    """YYYY-MM-DD or DD-MM-YYYY (a time after a space is ignored); spreadsheet dates as they are."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = _text(value)
    if not text:
        return None
    parts = text.split(" ", 1)[0].split("-")
    try:
        if len(parts) == 3 and len(parts[0]) == 4:
            return dt.date(int(parts[0]), int(parts[1]), int(parts[2]))
        if len(parts) == 3 and len(parts[2]) == 4:
            return dt.date(int(parts[2]), int(parts[1]), int(parts[0]))
    except ValueError:
        pass
    raise InvalidDate(field=label, value=text)


def hrms_zone() -> ZoneInfo:
    """Frappe stores `modified` as a naive time in its system time zone."""
    return ZoneInfo(getattr(settings, "HRMS_TIME_ZONE", "") or settings.TIME_ZONE)


def parse_modified(value: Any) -> dt.datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        moment = value
    else:
        try:
            moment = dt.datetime.fromisoformat(_text(value).replace(" ", "T", 1))
        except ValueError:
            raise InvalidDate(field="modified", value=_text(value)) from None
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=hrms_zone())
    return moment


def parse_record(data: Mapping[str, Any], *, row: int | None = None, only_given: bool = False) -> EmployeeRecord:
    """An EmployeeRecord from a mapping keyed by fieldname (`employee` or Frappe's `name` for the HR
    id). Raises the first problem found as a DomainError (missing id, bad email, status or date).
    `only_given` (a file's rows: keyed by the columns it has): the fields missing from `data` are
    left as stored."""
    employee = _text(data.get("employee")) or _text(data.get("name"))
    if not employee:
        raise MissingField(field=LABELS["employee"])
    status_text = _text(data.get("status"))
    status = _STATUSES.get(status_text.lower())
    if status is None:
        raise InvalidStatus(value=status_text or "(blank)")
    record = EmployeeRecord(
        employee=employee,
        employee_name=_text(data.get("employee_name"))[:200],
        company_email=_email(data.get("company_email")),
        personal_email=_email(data.get("personal_email")),
        user_id=_email(data.get("user_id")),
        status=status,
        date_of_joining=parse_date(data.get("date_of_joining"), LABELS["date_of_joining"]),
        relieving_date=parse_date(data.get("relieving_date"), LABELS["relieving_date"]),
        employment_type=_text(data.get("employment_type"))[:64],
        department=_text(data.get("department"))[:140],
        designation=_text(data.get("designation"))[:140],
        reports_to=_text(data.get("reports_to"))[:140],
        modified_in_hr=parse_modified(data.get("modified")),
        row=row,
        given=frozenset(name for name in EMPLOYEE_FIELDS if name in data) if only_given else None,
    )
    if record.date_of_joining and record.relieving_date and record.relieving_date < record.date_of_joining:
        raise RelievingBeforeJoining(
            relieving_date=record.relieving_date.isoformat(), date_of_joining=record.date_of_joining.isoformat()
        )
    if len(employee) > 140:
        raise Invalid("The HR id {value} is longer than 140 characters.", value=employee[:20] + "...")
    return record
