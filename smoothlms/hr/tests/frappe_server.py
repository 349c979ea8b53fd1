"""A small stand-in for a Frappe HRMS on 127.0.0.1: `GET /api/resource/Employee` as Frappe answers it
(fields, filters on `modified`, order_by, limit_start/limit_page_length paging, token auth), with
scripted failures (HTTP 500, slow answers, dropped connections, a redirect, a huge body) and
misbehaviour (`ignore_limit_start`: the same first page for ever)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

OPS: dict[str, Callable[[str, str], bool]] = {
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    "=": lambda a, b: a == b,
}


class FakeFrappe:
    def __init__(
        self,
        employees: list[dict[str, Any]] | None = None,
        *,
        key: str = "key",
        secret: str = "secret",
        host: str = "127.0.0.1",
    ):
        self.employees = list(employees or [])
        self.ignore_limit_start = False
        self.redirect_to = ""  # the base URL a "redirect" failure sends the client to
        self.huge_bytes = 64 * 1024 * 1024  # the size of a "huge" answer
        self.token = f"token {key}:{secret}"
        self.requests: list[dict[str, Any]] = []
        self.failures: list[str] = []  # consumed one per request: "500", "slow", "drop"
        self.slow_seconds = 1.0
        self.after_request: Callable[[FakeFrappe, int], None] | None = None
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def do_GET(self):  # noqa: N802 - http.server's naming
                server.handle(self)

        self.httpd = ThreadingHTTPServer((host, 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://{host}:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> FakeFrappe:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def add(self, name: str, modified: str, **fields) -> dict[str, Any]:
        document = {
            "name": name,
            "employee": name,
            "employee_name": f"Person {name}",
            "company_email": "",
            "personal_email": "",
            "user_id": None,
            "status": "Active",
            "date_of_joining": "2024-01-15",
            "relieving_date": None,
            "employment_type": "Full-time",
            "department": "Engineering",
            "designation": "Engineer",
            "modified": modified,
            **fields,
        }
        with self.lock:
            self.employees = [e for e in self.employees if e["name"] != name] + [document]
        return document

    def _reply(self, handler: BaseHTTPRequestHandler, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        url = urlparse(handler.path)
        query = {name: values[0] for name, values in parse_qs(url.query).items()}
        with self.lock:
            self.requests.append({"path": url.path, "auth": handler.headers.get("Authorization"), **query})
            number = len(self.requests)
            failure = self.failures.pop(0) if self.failures else None
        try:
            if failure == "500":
                return self._reply(handler, 500, {"exc_type": "InternalServerError"})
            if failure == "drop":
                handler.close_connection = True
                return None
            if failure == "slow":
                time.sleep(self.slow_seconds)
            if failure == "redirect":
                handler.send_response(302)
                handler.send_header("Location", f"{self.redirect_to}{handler.path}")
                handler.send_header("Content-Length", "0")
                handler.end_headers()
                return None
            if failure == "garbage":
                return self._reply(handler, 200, {"data": [42, "HR-1"]})
            if failure == "huge":  # no Content-Length: the client must stop reading by itself
                handler.send_response(200)
                handler.send_header("Content-Type", "application/json")
                handler.end_headers()
                handler.close_connection = True
                handler.wfile.write(b'{"data": [], "padding": "')
                chunk = b"x" * (1024 * 1024)
                for _ in range(self.huge_bytes // len(chunk)):
                    handler.wfile.write(chunk)
                return None
            if url.path != "/api/resource/Employee":
                return self._reply(handler, 404, {"exc_type": "DoesNotExistError"})
            if handler.headers.get("Authorization") != self.token:
                return self._reply(handler, 401, {"exc_type": "AuthenticationError"})
            self._reply(handler, 200, {"data": self.select(query)})
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout): as a real server, carry on
        finally:
            if self.after_request:
                self.after_request(self, number)

    def select(self, query: dict[str, str]) -> list[dict[str, Any]]:
        fields = json.loads(query.get("fields", '["name"]'))
        filters = json.loads(query.get("filters", "[]"))
        with self.lock:
            rows = list(self.employees)
        for field, op, value in filters:
            rows = [row for row in rows if row.get(field) is not None and OPS[op](str(row[field]), str(value))]
        order = [part.split()[0] for part in query.get("order_by", "modified asc").split(",")]
        rows.sort(key=lambda row: tuple(str(row.get(name) or "") for name in order))
        start = 0 if self.ignore_limit_start else int(query.get("limit_start", 0))
        length = int(query.get("limit_page_length", 20))
        return [{name: row.get(name) for name in fields} for row in rows[start : start + length]]
