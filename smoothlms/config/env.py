"""Reading settings from the environment: each bad value stops start-up with one line naming it."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise ImproperlyConfigured(f"{name}: expected true or false, got {raw!r}")


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}: expected a whole number, got {raw!r}") from None


def env_time_zone(name: str, default: str) -> str:
    value = os.environ.get(name, default)
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ImproperlyConfigured(f"{name}: unknown time zone {value!r}") from None
    return value


def parse_database_url(name: str, url: str, *, sqlite_options: dict, base_dir: Path | None = None) -> dict:
    """DATABASE_URL to a Django DATABASES entry, with the options each backend needs here.

    A relative SQLite path (`sqlite:///var/lms.sqlite3`) resolves against `base_dir`, the project
    root, so the same URL names the same file whichever directory a command runs from. A `mysql://`
    URL needs the optional MariaDB driver; without it start-up stops with one line naming the fix."""
    scheme = urlsplit(url).scheme
    if scheme not in {"sqlite", "postgres", "postgresql", "pgsql", "mysql", "mariadb"}:
        raise ImproperlyConfigured(
            f"{name}: unsupported or malformed database URL {url!r} "
            "(use sqlite:///path, postgres://user@host:5432/db or mysql://user:pass@host:3306/db)"
        )
    try:
        config = dict(dj_database_url.parse(url.replace("mariadb://", "mysql://", 1), conn_max_age=60))
    except (ValueError, KeyError) as exc:
        raise ImproperlyConfigured(f"{name}: malformed database URL ({exc})") from None
    engine = config["ENGINE"]
    if engine.endswith("sqlite3"):
        if not config.get("NAME") or config["NAME"] == ":memory:":
            raise ImproperlyConfigured(f"{name}: a SQLite URL needs a file path (sqlite:///path/db.sqlite3)")
        path = Path(config["NAME"])
        if not path.is_absolute():
            if base_dir is None:
                raise ImproperlyConfigured(f"{name}: the SQLite path {config['NAME']!r} must be absolute")
            config["NAME"] = str(base_dir / path)
        config["OPTIONS"] = dict(sqlite_options)
        config["CONN_MAX_AGE"] = 0
    elif engine.endswith("mysql"):
        if importlib.util.find_spec("MySQLdb") is None:
            raise ImproperlyConfigured(
                f"{name}: a mysql:// URL needs the MariaDB driver: apt-get install libmariadb-dev pkg-config, "
                "then .venv/bin/pip install -e '.[mariadb]'"
            )
        if not config.get("NAME"):
            raise ImproperlyConfigured(f"{name}: the database URL names no database")
        config["OPTIONS"] = {
            "charset": "utf8mb4",
            "isolation_level": "read committed",
            # Strict mode: out-of-range or truncated values are errors, never silently changed.
            "init_command": "SET sql_mode='STRICT_TRANS_TABLES,NO_ZERO_DATE,NO_ENGINE_SUBSTITUTION'",
        }
        config["TEST"] = {"CHARSET": "utf8mb4", "COLLATION": "utf8mb4_unicode_ci"}
    elif not config.get("NAME"):
        raise ImproperlyConfigured(f"{name}: the database URL names no database")
    if config.get("PASSWORD"):
        config["PASSWORD"] = unquote(config["PASSWORD"])
    return config


def parse_email_url(name: str, url: str | None) -> dict:
    """EMAIL_URL (smtp://host:port, smtp+tls://user:pass@host:587, smtp+ssl://...) to email settings."""
    if not url:
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    parts = urlsplit(url)
    if parts.scheme not in {"smtp", "smtp+tls", "smtp+ssl", "console", "locmem"} or (
        parts.scheme.startswith("smtp") and not parts.hostname
    ):
        raise ImproperlyConfigured(
            f"{name}: malformed email URL {url!r} (use smtp://host:port or smtp+tls://user:pass@host:587)"
        )
    if parts.scheme == "console":
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if parts.scheme == "locmem":
        return {"EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
    try:
        port = parts.port
    except ValueError:
        raise ImproperlyConfigured(f"{name}: bad port in {url!r}") from None
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": parts.hostname,
        "EMAIL_PORT": port or (465 if parts.scheme == "smtp+ssl" else 587 if parts.scheme == "smtp+tls" else 25),
        "EMAIL_HOST_USER": unquote(parts.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
        "EMAIL_USE_TLS": parts.scheme == "smtp+tls",
        "EMAIL_USE_SSL": parts.scheme == "smtp+ssl",
        "EMAIL_TIMEOUT": 20,
    }


def parse_alias_domains(name: str, raw: str) -> list[frozenset[str]]:
    """EMAIL_ALIAS_DOMAINS: comma-separated groups `a.com=b.com` of domains that name the same mailbox."""
    groups = []
    for group in raw.split(","):
        group = group.strip()
        if not group:
            continue
        domains = frozenset(d.strip().lower() for d in group.split("=") if d.strip())
        if len(domains) < 2:
            raise ImproperlyConfigured(f"{name}: each group needs two domains joined by '=', got {group!r}")
        groups.append(domains)
    return groups
