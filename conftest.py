"""Fixtures for the whole suite."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = "http://testserver"


@pytest.fixture(autouse=True)
def kept_uploads(settings, tmp_path):
    """Uploads kept between a preview and its apply (core.uploads) go to a directory of the test's own."""
    settings.IMPORT_UPLOAD_DIR = tmp_path / "imports"
    return settings.IMPORT_UPLOAD_DIR


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate limits count in the cache: each test starts with none spent."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def db_vendor(db):
    from django.db import connection

    return connection.vendor


@pytest.fixture
def courses(db):
    """Two published courses."""
    from smoothlms.catalog.tests.factories import CourseFactory

    return [CourseFactory(), CourseFactory()]


@pytest.fixture
def batch(courses):
    """A published cohort with those two courses and 3 seats, starting in 30 days."""
    from smoothlms.catalog.tests.factories import BatchFactory

    return BatchFactory(courses=courses, seat_count=3)
