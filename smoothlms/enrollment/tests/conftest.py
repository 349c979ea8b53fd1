import pytest

from smoothlms.catalog.tests.factories import BatchFactory, CourseFactory
from smoothlms.people.tests.factories import UserFactory, moderator


@pytest.fixture
def courses(db):
    return [CourseFactory(), CourseFactory()]


@pytest.fixture
def batch(courses):
    return BatchFactory(courses=courses, seat_count=3)


@pytest.fixture
def learner(db):
    return UserFactory()


@pytest.fixture
def mod(db):
    return moderator()
