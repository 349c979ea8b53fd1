"""A small client of the Frappe HRMS REST API (`/api/resource/Employee`), standard library only."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.client import HTTPException
from typing import Any, TypeVar
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode
from urllib.request import Request, urlopen

from django.conf import settings

log = logging.getLogger(__name__)
T = TypeVar("T")

EMPLOYEE_FIELDS = ["name", "employee", "employee_name", "company_email", "personal_email", "user_id", "status",
                   "date_of_joining", "relieving_date", "employment_type", "department", "designation", "reports_to",
                   "modified"]


class HRMSError(Exception):
    """The HRMS could not be used. `transient` errors (5xx, timeouts, refused connections, garbled
    answers) are worth retrying; the others (401, 403, 404: configuration) are not."""

    def __init__(self, message: str, *, transient: bool) -> None:
        super().__init__(message)
        self.transient = transient


@dataclass
class FrappeClient:
    base_url: str
    api_key: str
    api_secret: str
    timeout: float = 10.0

    @classmethod
    def from_settings(cls) -> FrappeClient:
        return cls(settings.HRMS_URL.rstrip("/"), settings.HRMS_API_KEY, settings.HRMS_API_SECRET,
                   float(getattr(settings, "HRMS_TIMEOUT", 10.0)))

    def list_employees(self, *, filters: list[list[Any]], limit_start: int, limit_page_length: int,
                       order_by: str = "modified asc, name asc") -> list[dict[str, Any]]:
        """One page of Employee documents, as Frappe's `frappe.client.get_list` answers it."""
        query = urlencode({
            "fields": json.dumps(EMPLOYEE_FIELDS),
            "filters": json.dumps(filters),
            "order_by": order_by,
            "limit_start": limit_start,
            "limit_page_length": limit_page_length,
        })
        request = Request(f"{self.base_url}/api/resource/Employee?{query}", headers={
            "Authorization": f"token {self.api_key}:{self.api_secret}",
            "Accept": "application/json",
        })
        try:
            with urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - the configured HRMS URL
                body = response.read()
        except HTTPError as exc:
            transient = exc.code >= 500 or exc.code == 429
            raise HRMSError(f"HTTP {exc.code} from {self.base_url}", transient=transient) from None
        except (URLError, OSError, HTTPException) as exc:  # refused, reset, timed out, cut short
            reason = getattr(exc, "reason", exc)
            raise HRMSError(f"{self.base_url} did not answer ({reason})", transient=True) from None
        try:
            data = json.loads(body)["data"]
            if not isinstance(data, list):
                raise TypeError("data is not a list")
        except (ValueError, KeyError, TypeError) as exc:
            raise HRMSError(f"{self.base_url} answered something that is not an Employee list ({exc})",
                            transient=True) from None
        return data


def with_retries(call: Callable[[], T], *, attempts: int, backoff: float,
                 sleep: Callable[[float], None] = time.sleep, on_retry: Callable[[int, HRMSError], None] | None = None
                 ) -> T:
    """`call()`, retried on transient HRMS errors up to `attempts` times in all, waiting `backoff`,
    then twice as long each time. The last error is raised."""
    for attempt in range(1, attempts + 1):
        try:
            return call()
        except HRMSError as error:
            if not error.transient or attempt == attempts:
                raise
            log.warning("HRMS attempt %s of %s failed: %s", attempt, attempts, error)
            if on_retry:
                on_retry(attempt, error)
            sleep(backoff * 2 ** (attempt - 1))
    raise AssertionError("unreachable")  # pragma: no cover
