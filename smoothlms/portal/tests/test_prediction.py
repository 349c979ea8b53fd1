"""The portal's prediction (portal.selectors.predict_refusal) is the engine's answer: for each way
a learner's own enrollment can be refused, the page names the refusal that enroll then gives, and
offers the button exactly when enroll succeeds."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from smoothlms.catalog.tests.factories import BatchFactory, CourseFactory
from smoothlms.core.errors import DomainError
from smoothlms.enrollment.models import Source
from smoothlms.enrollment.selectors import get_batch_for
from smoothlms.enrollment.services import enroll
from smoothlms.people.roles import Role
from smoothlms.people.tests.factories import UserFactory
from smoothlms.portal.selectors import predict_refusal

pytestmark = pytest.mark.django_db


def yesterday() -> dt.date:
    return timezone.localdate() - dt.timedelta(days=1)


SCENARIOS = {
    "open": ({}, {}, None),
    "full": ({"seat_count": 0}, {}, "cohort_full"),
    "closed": ({"allow_self_enrollment": False}, {}, "self_enrollment_closed"),
    "started": ({"start_date": yesterday()}, {}, "cohort_started"),
    "open late joins": ({"start_date": yesterday(), "late_join_policy": "open_until_end"}, {}, None),
    "ended": ({"start_date": yesterday() - dt.timedelta(days=3), "end_date": yesterday()}, {}, "cohort_ended"),
    "unpublished course": ({"courses": "unpublished"}, {}, "course_not_published"),
    "unpublished cohort, seen by staff": (
        {"published": False},
        {"roles": [Role.BATCH_EVALUATOR, Role.LMS_STUDENT]},
        "cohort_not_published",
    ),
    "no student role": ({}, {"roles": [Role.COURSE_CREATOR]}, "not_a_student"),
}


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_the_page_predicts_what_enroll_answers(scenario):
    batch_fields, user_fields, code = SCENARIOS[scenario]
    if batch_fields.get("courses") == "unpublished":
        batch_fields = {"courses": [CourseFactory(), CourseFactory(published=False)]}
    user = UserFactory(**user_fields)
    batch = BatchFactory(**batch_fields)
    predicted = predict_refusal(batch=get_batch_for(name=batch.name, user=user), user=user)
    try:
        enroll(batch=batch, member=user, actor=user, source=Source.PORTAL, notify=False)
        answered = None
    except DomainError as error:
        answered = error
    assert (predicted.code if predicted else None) == (answered.code if answered else None) == code
    if predicted:
        assert predicted.user_message() == answered.user_message()


def test_payment_is_left_to_the_engine():
    user = UserFactory()
    batch = BatchFactory(paid_batch=True, amount=Decimal("100"), currency="EUR")
    assert predict_refusal(batch=get_batch_for(name=batch.name, user=user), user=user) is None
    with pytest.raises(DomainError) as err:
        enroll(batch=batch, member=user, actor=user, source=Source.PORTAL, notify=False)
    assert err.value.code == "payment_required"
