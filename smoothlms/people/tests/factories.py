from __future__ import annotations

import factory

from smoothlms.people.models import Employee, EmployeeStatus, User
from smoothlms.people.roles import Role
from smoothlms.people.services import create_user


class UserFactory(factory.Factory):
    """Users are made through the service, as every path makes them."""

    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"learner{n}@example.com")
    full_name = factory.Faker("name")
    password = "correct horse battery"
    roles = None
    enabled = True

    @classmethod
    def _create(cls, model_class, **kwargs):
        return create_user(actor=None, **kwargs)

    @classmethod
    def _build(cls, model_class, **kwargs):
        kwargs.pop("roles", None)
        kwargs.pop("password", None)
        return model_class(**kwargs)


def moderator(**kwargs) -> User:
    return UserFactory(roles=[Role.MODERATOR, Role.LMS_STUDENT], **kwargs)


class EmployeeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Employee

    employee = factory.Sequence(lambda n: f"HR-EMP-{n:05d}")
    employee_name = factory.Faker("name")
    company_email = factory.Sequence(lambda n: f"employee{n}@example.com")
    status = EmployeeStatus.ACTIVE
