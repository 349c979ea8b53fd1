import pytest

from smoothlms.catalog.tests.factories import BatchFactory, CourseFactory
from smoothlms.people.roles import Role
from smoothlms.people.tests.factories import UserFactory, moderator


@pytest.fixture
def mod(db):
    return moderator(email="mod@example.com")


@pytest.fixture
def mod_client(client, mod):
    client.force_login(mod)
    return client


@pytest.fixture
def evaluator_client(client, db):
    client.force_login(UserFactory(email="evaluator@example.com", roles=[Role.BATCH_EVALUATOR]))
    return client


@pytest.fixture
def student_client(client, db):
    client.force_login(UserFactory(email="student@example.com"))
    return client


@pytest.fixture
def cohort(db):
    return BatchFactory(name="new-hires", title="New Hires", seat_count=3, courses=[CourseFactory()])


@pytest.fixture
def learners(db):
    return [UserFactory(email=f"l{i}@example.com", full_name=f"Learner {i}") for i in range(4)]


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []
