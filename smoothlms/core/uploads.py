"""Files kept between two requests: an upload between its preview and its apply, and a file made
for a page to offer as a download (the rows that failed).

Each file sits under `IMPORT_UPLOAD_DIR` (VAR_DIR/imports by default, outside MEDIA_ROOT so that
nothing serves it) named by an unguessable token; the session keeps only the token. A file is
removed once used, or after `MAX_AGE` (by `prune`, run on each new file and once a day)."""

from __future__ import annotations

import datetime as dt
import re
import secrets
import time
from collections.abc import Iterable
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

MAX_AGE = dt.timedelta(days=1)
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{32,64}")
SUFFIXES = ("upload", "csv")


def directory() -> Path:
    path = Path(getattr(settings, "IMPORT_UPLOAD_DIR", "") or Path(settings.VAR_DIR) / "imports")
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def new_token() -> str:
    return secrets.token_urlsafe(32)


def keep_upload(upload: UploadedFile) -> str:
    """Stream `upload` to a new file (chunk by chunk, never whole in memory); its token."""
    prune()
    token = new_token()
    with open(_path(token, "upload"), "xb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    return token


def keep_lines(lines: Iterable[str]) -> str:
    """Write text `lines` (a CSV made for a download) to a new file; its token."""
    token = new_token()
    with open(_path(token, "csv"), "x", encoding="utf-8", newline="") as out:
        out.writelines(lines)
    return token


def path_of(token: str | None, suffix: str = "upload") -> Path | None:
    """The kept file of `token`, or None when the token is malformed, the file is gone or too old."""
    if not token or not TOKEN_PATTERN.fullmatch(token) or suffix not in SUFFIXES:
        return None
    path = _path(token, suffix)
    try:
        if time.time() - path.stat().st_mtime > MAX_AGE.total_seconds():
            path.unlink(missing_ok=True)
            return None
    except FileNotFoundError:
        return None
    return path


def discard(token: str | None, suffix: str = "upload") -> None:
    if token and TOKEN_PATTERN.fullmatch(token) and suffix in SUFFIXES:
        _path(token, suffix).unlink(missing_ok=True)


def prune(*, now: float | None = None) -> int:
    """Remove kept files older than MAX_AGE; how many."""
    limit = (now if now is not None else time.time()) - MAX_AGE.total_seconds()
    removed = 0
    for path in directory().iterdir():
        try:
            if path.is_file() and path.stat().st_mtime < limit:
                path.unlink()
                removed += 1
        except FileNotFoundError:  # another request removed it first
            continue
    return removed


def _path(token: str, suffix: str) -> Path:
    return directory() / f"{token}.{suffix}"
