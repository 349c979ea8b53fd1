"""The settings gunicorn serves the HTTP benchmark with: the project's own, plus the bench's
reference endpoints (bench/server/urls.py) beside every real URL."""

from smoothlms.config.settings import *  # noqa: F403 - the project's settings, unchanged

ROOT_URLCONF = "bench.server.urls"
