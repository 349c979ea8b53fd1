"""Command-line conventions (CONTRACT.md section 3): exit 0 on success; on failure one line on
stderr, `error: <code>: <message>`, and a non-zero exit."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand

from smoothlms.core.errors import DomainError


class CommandFailed(Exception):
    def __init__(self, code: str, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.code, self.message, self.exit_code = code, message, exit_code


class SmoothCommand(BaseCommand):
    """Subclasses implement `run(**options)`; errors become the one-line contract form."""

    def handle(self, *args, **options):
        try:
            return self.run(*args, **options)
        except DomainError as err:
            self._fail(err.code, err.user_message(), 1)
        except CommandFailed as err:
            self._fail(err.code, err.message, err.exit_code)

    def _fail(self, code: str, message: str, exit_code: int) -> None:
        sys.stderr.write(f"error: {code}: {message}\n")
        sys.stderr.flush()
        raise SystemExit(exit_code)

    def run(self, *args, **options):  # pragma: no cover - abstract
        raise NotImplementedError
