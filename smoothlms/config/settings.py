"""Smooth LMS settings: one module, read from the environment (README lists every variable)."""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.utils.crypto import get_random_string

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
CSRF_FAILURE_VIEW = "smoothlms.api.v1.errors.csrf_failure"  # JSON under /api/, Django's page elsewhere

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
    "smoothlms.learning",
    "smoothlms.assessments",
    "smoothlms.hr",
    "smoothlms.notifications",
    "smoothlms.desk",
    "smoothlms.portal",
    "smoothlms.api",
    "smoothlms.csvio",
    "smoothlms.demo",
    "axes",  # sign-in throttling (see Auth below)
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
    "smoothlms.core.middleware.StaffSessionIdleMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the 429 page.
    "axes.middleware.AxesMiddleware",
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
    _test["NAME"] = (
        str(VAR_DIR / f"{_test_name}.sqlite3") if DATABASES["default"]["ENGINE"].endswith("sqlite3") else _test_name
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Auth -----------------------------------------------------------------------------------------
AUTH_USER_MODEL = "people.User"
# AxesStandaloneBackend first: it refuses a locked-out account before any password is checked.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "smoothlms.people.auth.RoleBackend"]
LOGIN_URL = "/login"
LOGIN_REDIRECT_URL = "/lms/batches"
LOGOUT_REDIRECT_URL = "/login"
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("email", "full_name")},
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Sign-in throttling (django-axes, CONTRACT.md section 10): 10 failed sign-ins for one email lock
# that email for 15 minutes, whatever the address they come from. Locked per account, never per
# client address: many employees sign in from one office address. API tokens never pass through
# authenticate(), so they are not affected. Axes keeps its own records (attempts, failures, sign-ins);
# each refused sign-in is also a `login_failed` event in our audit log.
AXES_FAILURE_LIMIT = env_int("SIGN_IN_FAILURE_LIMIT", 10)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env_int("SIGN_IN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "smoothlms.people.auth.sign_in_email"
AXES_CLIENT_IP_CALLABLE = "smoothlms.people.signins.remote_addr"  # REMOTE_ADDR only: X-Forwarded-For is any client's
AXES_LOCKOUT_CALLABLE = "smoothlms.portal.auth_views.locked_out"
AXES_RESET_ON_SUCCESS = True  # a person who finally types the right password starts again from zero
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # the lock lasts 15 minutes, not for ever under attack
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_ENABLE_ADMIN = False  # the desk shows our own audit log
AXES_VERBOSE = False  # no start-up banner on every command's stderr
# "Forgot password?": at most this many requests per client address per window (each address also
# gets at most one email a minute, people.accounts.RESET_INTERVAL).
PASSWORD_RESET_LIMIT_PER_CLIENT = env_int("PASSWORD_RESET_LIMIT_PER_CLIENT", 10)
PASSWORD_RESET_LIMIT_WINDOW = env_int("PASSWORD_RESET_LIMIT_WINDOW_SECONDS", 15 * 60)
# Staff sessions end after this many idle seconds (learners keep SESSION_COOKIE_AGE, two weeks).
STAFF_SESSION_IDLE_SECONDS = env_int("STAFF_SESSION_IDLE_SECONDS", 8 * 60 * 60)
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
# What every worker's scheduler enqueues, once per period among all workers (core.scheduling):
# (name of its lease row, dotted path of the task, period in seconds). By path, so that core
# names no app and notifications no app above it.
SMOOTHLMS_PERIODIC_JOBS = [
    # Confirmations and set-password emails that stayed pending.
    ("sweep_email_queue", "smoothlms.notifications.jobs.sweep_email_queue", 60),
    ("send_reminders", "smoothlms.notifications.jobs.send_reminders", 60),
    # The HRMS pull (when HRMS_URL is set) and the onboarding rules.
    ("hr_sync", "smoothlms.hr.tasks.periodic_hr_sync", 300),
    ("prune_task_results", "smoothlms.core.tasks.prune_task_results", 86400),
    ("prune_uploads", "smoothlms.core.tasks.prune_uploads", 3600),
    # Certificates: recertification assignments before expiry (and their emails), overdue reminders
    # (at most one a week per assignment), the managers' weekly digest (one per manager and week).
    ("recertify_expiring", "smoothlms.training.jobs.recertify_expiring", 86400),
    ("remind_overdue_assignments", "smoothlms.training.jobs.remind_overdue_assignments", 86400),
    ("send_manager_digests", "smoothlms.training.jobs.send_manager_digests", 86400),
]
# A cohort certificate waits for every course and every assessment of the cohort; training (below
# assessments) asks the assessments app through this dotted path.
SMOOTHLMS_COHORT_ASSESSMENTS_PASSED = "smoothlms.assessments.selectors.passed_every_assessment"

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
HR_SYNC_MAX_PAGES = env_int("HR_SYNC_MAX_PAGES", 1000)  # a run stops (failed) past this many pages
HRMS_MAX_RESPONSE_BYTES = env_int("HRMS_MAX_RESPONSE_BYTES", 20 * 1024 * 1024)  # one page's answer
# An employee import that would disable more than this share of employee users stops (unless --force).
HR_DISABLE_THRESHOLD = env_int("HR_DISABLE_THRESHOLD_PERCENT", 20) / 100

# API ------------------------------------------------------------------------------------------
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 5 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = DATA_UPLOAD_MAX_MEMORY_SIZE
# Uploaded files are spooled to a temporary file, never held whole in memory; the readers stream them.
FILE_UPLOAD_HANDLERS = ["django.core.files.uploadhandler.TemporaryFileUploadHandler"]
# Caps of an imported file (smoothlms.csvio.reader.Limits): past one, the file is refused with
# `file_unusable` before it can use much memory or time.
IMPORT_MAX_BYTES = env_int("IMPORT_MAX_BYTES", 20 * 1024 * 1024)
IMPORT_MAX_ROWS = env_int("IMPORT_MAX_ROWS", 200_000)
IMPORT_MAX_CELLS = env_int("IMPORT_MAX_CELLS", 5_000_000)
IMPORT_MAX_COLUMNS = env_int("IMPORT_MAX_COLUMNS", 1024)
IMPORT_MAX_UNPACKED_BYTES = env_int("IMPORT_MAX_UNPACKED_BYTES", 256 * 1024 * 1024)
IMPORT_MAX_LOADED_BYTES = env_int("IMPORT_MAX_LOADED_BYTES", 32 * 1024 * 1024)
NINJA_PAGINATION_MAX_LIMIT = 500

# Course content -------------------------------------------------------------------------------
# SCORM packages: the largest upload accepted, and zip-bomb limits on what it may expand to.
SCORM_MAX_MB = env_int("SCORM_MAX_MB", 200)
SCORM_MAX_UNCOMPRESSED_MB = env_int("SCORM_MAX_UNCOMPRESSED_MB", 5 * SCORM_MAX_MB)
SCORM_MAX_RATIO = env_int("SCORM_MAX_RATIO", 100)
SCORM_MAX_FILES = env_int("SCORM_MAX_FILES", 20000)

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
# axes.W006 asks for the client address in the lockout key: locking per account is deliberate
# (rotating user agents or cookies cannot get around a lock on the email itself).
SILENCED_SYSTEM_CHECKS = [*globals().get("SILENCED_SYSTEM_CHECKS", []), "axes.W006"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "filters": {"expected_refusals": {"()": "smoothlms.core.logfilters.DropExpectedRefusals"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
        "requests": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["expected_refusals"]},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # 409s and friends are answers, not incidents: no WARNING line per refusal.
        "django.request": {"handlers": ["requests"], "propagate": False},
        "axes": {"level": "WARNING"},  # not a line per sign-in
        # fontTools (certificate PDFs) reports every font subset at INFO: a line per table per PDF.
        "fontTools": {"level": "WARNING"},
    },
}
