"""Smooth LMS settings: one module, read from the environment (README lists every variable)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from smoothlms.config.env import (
    env_bool,
    env_int,
    env_list,
    env_time_zone,
    parse_alias_domains,
    parse_database_url,
    parse_email_url,
)

BASE_DIR = Path(__file__).resolve().parent.parent
PROJECT_DIR = BASE_DIR.parent
VAR_DIR = Path(os.environ.get("SMOOTHLMS_VAR_DIR", PROJECT_DIR / "var"))
TESTING = "pytest" in sys.modules or env_bool("SMOOTHLMS_TESTING", False)

DEBUG = env_bool("DEBUG", False)
_secret = os.environ.get("SECRET_KEY", "")
if not _secret:
    # Without SECRET_KEY (the embedded install), a per-machine key is made once under var/.
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        from django.utils.crypto import get_random_string

        key_file.write_text(get_random_string(64))
        key_file.chmod(0o600)
    _secret = key_file.read_text().strip()
SECRET_KEY = _secret
if len(SECRET_KEY) < 32:
    raise ImproperlyConfigured("SECRET_KEY: must be at least 32 characters long")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]" + (",testserver" if TESTING else ""))
# Links in emails point where `make run` serves: PORT's port unless SITE_URL says otherwise.
SITE_URL = os.environ.get("SITE_URL", f"http://127.0.0.1:{os.environ.get('PORT', '8000')}").rstrip("/")
if not SITE_URL.startswith(("http://", "https://")):
    raise ImproperlyConfigured(f"SITE_URL: must start with http:// or https://, got {SITE_URL!r}")
CSRF_TRUSTED_ORIGINS = [SITE_URL]

INSTALLED_APPS = [
    "smoothlms.desk.adminconfig.DeskAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    "django_rq",
    "smoothlms.core",
    "smoothlms.people",
    "smoothlms.catalog",
    "smoothlms.enrollment",
    "smoothlms.training",
    "smoothlms.hr",
    "smoothlms.notifications",
    "smoothlms.desk",
    "smoothlms.portal",
    "smoothlms.api",
    # Last: its `export` command must not shadow ours (`smoothlms export`).
    "import_export",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "smoothlms.config.urls"
WSGI_APPLICATION = "smoothlms.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Databases ------------------------------------------------------------------------------------
SQLITE_OPTIONS = {
    # Writers queue behind one another instead of failing with "database is locked": the embedded
    # install serves a web server and a worker on one file.
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
}
DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'smoothlms.sqlite3'}"
DATABASES = {
    "default": parse_database_url("DATABASE_URL", DATABASE_URL, sqlite_options=SQLITE_OPTIONS, base_dir=PROJECT_DIR)
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
if TESTING:
    # A file, not memory, for SQLite: the concurrency tests need real connections from threads.
    # SMOOTHLMS_TEST_DB_NAME keeps parallel runs on one machine apart.
    _test_name = os.environ.get("SMOOTHLMS_TEST_DB_NAME", "test_smoothlms")
    _test = DATABASES["default"].setdefault("TEST", {})
    _test["NAME"] = str(VAR_DIR / f"{_test_name}.sqlite3") if DATABASES["default"]["ENGINE"].endswith(
        "sqlite3") else _test_name
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Auth -----------------------------------------------------------------------------------------
AUTH_USER_MODEL = "people.User"
AUTHENTICATION_BACKENDS = ["smoothlms.people.auth.RoleBackend"]
LOGIN_URL = "/login"
LOGIN_REDIRECT_URL = "/lms/batches"
LOGOUT_REDIRECT_URL = "/login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Internationalisation and time ------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = env_time_zone("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# Static files ---------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = VAR_DIR / "media"

# Background tasks ---------------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if TESTING and not os.environ.get("SMOOTHLMS_TASKS"):
    TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
elif REDIS_URL or os.environ.get("SMOOTHLMS_TASKS") == "rq":
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
else:
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
RQ_QUEUES = {"default": {"URL": REDIS_URL or "redis://127.0.0.1:6379/0", "DEFAULT_TIMEOUT": 300}}

# Email ------------------------------------------------------------------------------------------
globals().update(parse_email_url("EMAIL_URL", os.environ.get("EMAIL_URL")))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Smooth LMS <lms@localhost>")
EMAIL_ALIAS_DOMAINS = parse_alias_domains("EMAIL_ALIAS_DOMAINS", os.environ.get("EMAIL_ALIAS_DOMAINS", ""))

# HR -------------------------------------------------------------------------------------------
HRMS_URL = os.environ.get("HRMS_URL", "").rstrip("/")
HRMS_API_KEY = os.environ.get("HRMS_API_KEY", "")
HRMS_API_SECRET = os.environ.get("HRMS_API_SECRET", "")
HR_WEBHOOK_SECRET = os.environ.get("HR_WEBHOOK_SECRET", "")
HRMS_TIMEOUT = float(env_int("HRMS_TIMEOUT", 10))
HRMS_TIME_ZONE = env_time_zone("HRMS_TIME_ZONE", TIME_ZONE)  # the zone of the HRMS's `modified` stamps
HR_SYNC_PAGE_SIZE = env_int("HR_SYNC_PAGE_SIZE", 500)
HR_SYNC_ATTEMPTS = env_int("HR_SYNC_ATTEMPTS", 4)
# An employee import that would disable more than this share of employee users stops (unless --force).
HR_DISABLE_THRESHOLD = env_int("HR_DISABLE_THRESHOLD_PERCENT", 20) / 100

# API ------------------------------------------------------------------------------------------
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 5 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = DATA_UPLOAD_MAX_MEMORY_SIZE
NINJA_PAGINATION_MAX_LIMIT = 500

# Security -------------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG and SITE_URL.startswith("https://"):
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
else:
    # Plain-HTTP deployments (the embedded install on 127.0.0.1) cannot use secure cookies.
    SILENCED_SYSTEM_CHECKS = ["security.W004", "security.W008", "security.W012", "security.W016"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # fontTools (certificate PDFs) reports every font subset at INFO: a line per table per PDF.
    "loggers": {"django.db.backends": {"level": "INFO"}, "fontTools": {"level": "WARNING"}},
}
