"""A small client of the Frappe HRMS REST API (`/api/resource/Employee`), standard library only."""

from __future__ import annotations

import ipaddress
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.client import HTTPException
from typing import Any, TypeVar
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode, urlsplit
from urllib.request import HTTPRedirectHandler, Request, build_opener

from django.conf import settings

log = logging.getLogger(__name__)
T = TypeVar("T")

EMPLOYEE_FIELDS = [
    "name",
    "employee",
    "employee_name",
    "company_email",
    "personal_email",
    "user_id",
    "status",
    "date_of_joining",
    "relieving_date",
    "employment_type",
    "department",
    "designation",
    "reports_to",
    "modified",
]


DEFAULT_MAX_RESPONSE_BYTES = 20 * 1024 * 1024


class HRMSError(Exception):
    """The HRMS could not be used. `transient` errors (5xx, timeouts, refused connections, garbled
    answers) are worth retrying; the others (401, 403, 404, a redirect to another host, a plain
    http:// address, an oversized answer: configuration or a misbehaving server) are not."""

    def __init__(self, message: str, *, transient: bool) -> None:
        super().__init__(message)
        self.transient = transient


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return parts.scheme.lower(), (parts.hostname or "").lower(), parts.port


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_hrms_url(url: str) -> None:
    """`https://` unless DEBUG is on or the HRMS runs on this machine: the API token travels in
    every request's headers."""
    scheme, host, _ = _origin(url)
    if scheme == "https" or (scheme == "http" and (settings.DEBUG or is_loopback(host))):
        return
    raise HRMSError(
        f"HRMS_URL must start with https:// (http:// only with DEBUG or on a loopback address), got {url}",
        transient=False,
    )


class _SameOriginRedirects(HTTPRedirectHandler):
    """Follows a redirect only to the same scheme, host and port: urllib would otherwise send the
    Authorization header (the API token) to wherever the HRMS points."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if _origin(newurl) != _origin(self.base_url):
            fp.close()
            raise HRMSError(
                f"{self.base_url} redirected to another host ({_origin(newurl)[1] or newurl}); "
                "not followed, so the API token stays with HRMS_URL's host",
                transient=False,
            )
        return super().redirect_request(req, fp, code, msg, headers, newurl)


@dataclass
class FrappeClient:
    base_url: str
    api_key: str
    api_secret: str
    timeout: float = 10.0

    @classmethod
    def from_settings(cls) -> FrappeClient:
        return cls(
            settings.HRMS_URL.rstrip("/"),
            settings.HRMS_API_KEY,
            settings.HRMS_API_SECRET,
            float(getattr(settings, "HRMS_TIMEOUT", 10.0)),
        )

    def list_employees(
        self,
        *,
        filters: list[list[Any]],
        limit_start: int,
        limit_page_length: int,
        order_by: str = "modified asc, name asc",
    ) -> list[dict[str, Any]]:
        """One page of Employee documents, as Frappe's `frappe.client.get_list` answers it."""
        query = urlencode(
            {
                "fields": json.dumps(EMPLOYEE_FIELDS),
                "filters": json.dumps(filters),
                "order_by": order_by,
                "limit_start": limit_start,
                "limit_page_length": limit_page_length,
            }
        )
        check_hrms_url(self.base_url)
        request = Request(
            f"{self.base_url}/api/resource/Employee?{query}",
            headers={
                "Authorization": f"token {self.api_key}:{self.api_secret}",
                "Accept": "application/json",
            },
        )
        opener = build_opener(_SameOriginRedirects(self.base_url))
        try:
            with opener.open(request, timeout=self.timeout) as response:
                body = self._read_capped(response)
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
            if not all(isinstance(document, dict) for document in data):
                raise TypeError("an item is not an object")
        except (ValueError, KeyError, TypeError) as exc:
            raise HRMSError(
                f"{self.base_url} answered something that is not an Employee list ({exc})", transient=True
            ) from None
        return data

    def _read_capped(self, response) -> bytes:
        """The body, refused past HRMS_MAX_RESPONSE_BYTES whatever Content-Length says (or omits)."""
        limit = int(getattr(settings, "HRMS_MAX_RESPONSE_BYTES", DEFAULT_MAX_RESPONSE_BYTES))
        body = response.read(limit + 1)
        if len(body) > limit:
            raise HRMSError(
                f"{self.base_url} answered more than {limit / 1024 / 1024:g} MB "
                "(HRMS_MAX_RESPONSE_BYTES); lower HR_SYNC_PAGE_SIZE",
                transient=False,
            )
        return body


def with_retries(
    call: Callable[[], T],
    *,
    attempts: int,
    backoff: float,
    sleep: Callable[[float], None] = time.sleep,
    on_retry: Callable[[int, HRMSError], None] | None = None,
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
