import pytest

from smoothlms.catalog.tests.factories import BatchFactory, CourseFactory
from smoothlms.people.tests.factories import UserFactory


@pytest.fixture
def learner(db):
    return UserFactory(email="ada@example.com")


@pytest.fixture
def other(db):
    return UserFactory(email="grace@example.com")


@pytest.fixture
def batch(db):
    return BatchFactory(
        name="python-basics",
        title="Python Basics",
        description="Learn Python.",
        courses=[CourseFactory(title="Intro to Python"), CourseFactory(title="Testing")],
        seat_count=3,
    )


@pytest.fixture
def signed_in(client, learner):
    client.force_login(learner)
    return client
