import pytest

from smoothlms.people.tests.factories import UserFactory, moderator


@pytest.fixture
def learner(db):
    return UserFactory()


@pytest.fixture
def mod(db):
    return moderator()
