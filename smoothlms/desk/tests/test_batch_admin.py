"""LMS Batch in the desk: list, create and change through catalog.services, roster on the page."""

import datetime as dt

import pytest

from smoothlms.catalog.models import Batch, LiveClass
from smoothlms.catalog.tests.factories import BatchFactory, CourseFactory, LiveClassFactory
from smoothlms.desk.admin import catalog as catalog_admin
from smoothlms.desk.tests.conftest import messages_of
from smoothlms.enrollment.services import bulk_enroll, cancel_enrollment, enroll

pytestmark = pytest.mark.django_db


def batch_form(**overrides) -> dict:
    data = {
        "title": "Data Literacy — March",
        "name": "",
        "description": "",
        "start_date": "2030-03-02",
        "start_time": "09:30",
        "end_date": "2030-03-20",
        "end_time": "17:00",
        "timezone": "Asia/Kolkata",
        "late_join_policy": "override_only",
        "seat_count": "25",
        "allow_self_enrollment": "on",
        "published": "on",
        "currency": "",
        "amount": "",
        "batch_courses-TOTAL_FORMS": "0",
        "batch_courses-INITIAL_FORMS": "0",
        "live_classes-TOTAL_FORMS": "0",
        "live_classes-INITIAL_FORMS": "0",
    }
    data.update(overrides)
    return data


def test_moderator_creates_a_cohort_with_courses_in_order_and_a_live_class(mod_client):
    first, second = CourseFactory(title="Basics"), CourseFactory(title="Advanced")
    response = mod_client.post(
        "/app/catalog/batch/add/",
        batch_form(
            **{
                "batch_courses-TOTAL_FORMS": "2",
                "batch_courses-0-course": second.pk,
                "batch_courses-0-position": "1",
                "batch_courses-1-course": first.pk,
                "batch_courses-1-position": "0",
                "live_classes-TOTAL_FORMS": "1",
                "live_classes-0-title": "Kick-off",
                "live_classes-0-date": "2030-03-02",
                "live_classes-0-time": "10:00",
                "live_classes-0-duration": "60",
                "live_classes-0-timezone": "",
                "live_classes-0-join_url": "https://meet.example.com/k",
            }
        ),
        follow=True,
    )
    assert response.status_code == 200
    batch = Batch.objects.get(title="Data Literacy — March")
    assert batch.name == "data-literacy-march"  # a blank name is made from the title
    assert [bc.course for bc in batch.batch_courses.order_by("position")] == [first, second]
    live = LiveClass.objects.get(batch=batch)
    assert (live.title, live.timezone) == ("Kick-off", "Asia/Kolkata")  # blank: the cohort's zone
    assert any("was added successfully" in m for m in messages_of(response))


def test_invalid_cohort_is_shown_on_the_form_and_not_saved(mod_client):
    response = mod_client.post("/app/catalog/batch/add/", batch_form(end_date="2030-03-01"))
    assert response.status_code == 200
    assert "Batch end date cannot be before the batch start date." in response.content.decode()
    assert not Batch.objects.exists()


def test_list_shows_dates_with_time_zone_seats_and_flags(mod_client, cohort, learners):
    bulk_enroll(batch=cohort, members=[u.email for u in learners[:2]], actor=None, source="desk")
    BatchFactory(title="Open Ended", seat_count=None)
    html = mod_client.get("/app/lms-batch", follow=True).content.decode()
    assert "New Hires" in html and "Europe/Berlin" in html and "09:00" in html
    assert "2 / 3" in html and "1 left" in html and "∞" in html


def test_list_filters_by_seats_and_time(mod_client, cohort, learners):
    bulk_enroll(batch=cohort, members=[u.email for u in learners[:3]], actor=None, source="desk")
    BatchFactory(title="Has Room", seat_count=10)
    BatchFactory(title="Long Gone", start_date=dt.date(2020, 1, 1), end_date=dt.date(2020, 1, 5))
    full = mod_client.get("/app/catalog/batch/?seats=full").content.decode()
    assert "New Hires" in full and "Has Room" not in full
    ended = mod_client.get("/app/catalog/batch/?when=ended").content.decode()
    assert "Long Gone" in ended and "New Hires" not in ended


def test_change_goes_through_update_batch_and_records_the_seat_change(mod_client, cohort, mod):
    data = batch_form(
        title="New Hires",
        name="new-hires",
        seat_count="8",
        start_date=str(cohort.start_date),
        end_date=str(cohort.end_date),
        start_time="09:00",
        timezone="Europe/Berlin",
    )
    data["batch_courses-TOTAL_FORMS"] = "0"
    response = mod_client.post(f"/app/catalog/batch/{cohort.pk}/change/", data, follow=True)
    assert response.status_code == 200
    cohort.refresh_from_db()
    assert cohort.seat_count == 8
    from smoothlms.core.models import EnrollmentEvent

    event = EnrollmentEvent.objects.get(kind="seats_changed", batch=cohort)
    assert (event.before, event.after, event.actor) == ({"seat_count": 3}, {"seat_count": 8}, mod)


def test_seat_count_below_enrolled_is_refused_on_the_form(mod_client, cohort, learners):
    bulk_enroll(batch=cohort, members=[u.email for u in learners[:2]], actor=None, source="desk")
    data = batch_form(
        title="New Hires",
        name="new-hires",
        seat_count="1",
        start_date=str(cohort.start_date),
        end_date=str(cohort.end_date),
        start_time="09:00",
        timezone="Europe/Berlin",
    )
    response = mod_client.post(f"/app/catalog/batch/{cohort.pk}/change/", data)
    assert response.status_code == 200
    assert (
        "There are no seats available in this batch: it has 2 active enrollments, so the seat count cannot be "
        "lower than 2."
    ) in response.content.decode()
    cohort.refresh_from_db()
    assert cohort.seat_count == 3


def test_a_refusal_of_the_service_is_shown_on_the_form(mod_client, cohort, learners, monkeypatch):
    # Two members enroll while the moderator saves: the form saw 1 enrollment, the service sees 3.
    enroll(batch=cohort, member=learners[0], actor=None, source="desk")
    real_update_batch = catalog_admin.update_batch

    def update_batch_while_others_enroll(**kwargs):
        bulk_enroll(
            batch=Batch.objects.get(pk=cohort.pk),
            members=[learners[1].email, learners[2].email],
            actor=None,
            source="portal",
        )
        return real_update_batch(**kwargs)

    monkeypatch.setattr(catalog_admin, "update_batch", update_batch_while_others_enroll)
    data = batch_form(
        title="New Hires",
        name="new-hires",
        seat_count="2",
        start_date=str(cohort.start_date),
        end_date=str(cohort.end_date),
        start_time="09:00",
        timezone="Europe/Berlin",
    )
    response = mod_client.post(f"/app/catalog/batch/{cohort.pk}/change/", data)
    assert response.status_code == 200
    assert (
        "There are no seats available in this batch: it has 3 active enrollments, so the seat count cannot be "
        "lower than 3."
    ) in response.content.decode()
    assert not [m for m in messages_of(response) if "successfully" in m]
    cohort.refresh_from_db()
    assert (cohort.seat_count, cohort.seats_taken) == (3, 3)


def test_moving_a_live_class_raises_its_calendar_sequence(mod_client, cohort):
    live = LiveClassFactory(batch=cohort, title="Kick-off")
    data = batch_form(
        title="New Hires",
        name="new-hires",
        seat_count="3",
        start_date=str(cohort.start_date),
        end_date=str(cohort.end_date),
        start_time="09:00",
        timezone="Europe/Berlin",
        **{
            "live_classes-TOTAL_FORMS": "1",
            "live_classes-INITIAL_FORMS": "1",
            "live_classes-0-id": live.pk,
            "live_classes-0-batch": cohort.pk,
            "live_classes-0-title": "Kick-off",
            "live_classes-0-date": str(live.date),
            "live_classes-0-time": "11:30",
            "live_classes-0-duration": "90",
            "live_classes-0-timezone": "Europe/Berlin",
            "live_classes-0-join_url": "",
        },
    )
    mod_client.post(f"/app/catalog/batch/{cohort.pk}/change/", data)
    live.refresh_from_db()
    assert (live.time, live.sequence) == (dt.time(11, 30), 1)


def test_change_page_shows_roster_active_and_cancelled_with_seats_left(mod_client, cohort, learners):
    bulk_enroll(batch=cohort, members=[u.email for u in learners[:2]], actor=None, source="desk")
    cancel_enrollment(batch=cohort, member=learners[1], actor=None)
    html = mod_client.get(f"/app/catalog/batch/{cohort.pk}/change/").content.decode()
    assert 'id="roster"' in html and "1 active · 1 cancelled" in html and "2 seats left" in html
    assert "l0@example.com" in html and "l1@example.com" in html and "Cancelled" in html
    assert 'id="enroll-dialog"' in html and "Enroll members" in html


def test_a_cohort_with_enrollments_cannot_be_deleted(mod_client, cohort, learners):
    enroll(batch=cohort, member=learners[0], actor=None, source="desk")
    assert mod_client.get(f"/app/catalog/batch/{cohort.pk}/delete/").status_code == 403
    empty = BatchFactory()
    assert mod_client.post(f"/app/catalog/batch/{empty.pk}/delete/", {"post": "yes"}).status_code == 302
    assert not Batch.objects.filter(pk=empty.pk).exists()


def test_courses_are_created_and_changed_through_the_catalog_services(mod_client):
    from smoothlms.catalog.models import Course

    mod_client.post(
        "/app/catalog/course/add/", {"title": "Safe Data", "name": "safe-data", "description": "", "published": "on"}
    )
    course = Course.objects.get(name="safe-data")
    assert course.published
    mod_client.post(
        f"/app/catalog/course/{course.pk}/change/", {"title": "Safe Data 2", "name": "safe-data", "description": ""}
    )
    course.refresh_from_db()
    assert (course.title, course.published) == ("Safe Data 2", False)


def test_payments_are_recorded_through_record_payment_and_kept(mod_client, mod, cohort, learners):
    from smoothlms.core.models import EnrollmentEvent
    from smoothlms.enrollment.models import Payment

    response = mod_client.post(
        "/app/enrollment/payment/add/",
        {"member": learners[0].pk, "batch": cohort.pk, "amount": "120.00", "currency": "eur", "reference": "INV-7"},
    )
    assert response.status_code == 302
    payment = Payment.objects.get()
    assert (payment.currency, payment.status, payment.created_by) == ("EUR", "received", mod)
    assert EnrollmentEvent.objects.filter(kind="payment_recorded", member=learners[0]).exists()
    assert mod_client.post(f"/app/enrollment/payment/{payment.pk}/change/", {"amount": "1"}).status_code == 403
