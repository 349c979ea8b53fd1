"""The learner portal's pages, messages and refusals, through Django's test client."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from smoothlms.catalog.models import Batch
from smoothlms.catalog.tests.factories import BatchFactory, CourseFactory, LiveClassFactory
from smoothlms.enrollment.models import BatchEnrollment, CourseEnrollment, EnrollmentStatus, Source
from smoothlms.enrollment.services import cancel_enrollment, enroll, record_payment
from smoothlms.people.tests.factories import UserFactory, moderator

pytestmark = pytest.mark.django_db

PORTAL_PAGES = [
    "/lms/batches",
    "/lms/batches/python-basics",
    "/lms/courses",
    "/lms/timetable",
    "/lms/timetable.ics",
    "/lms/profile",
]


def today() -> dt.date:
    return timezone.localdate()


def html(response) -> str:
    return response.content.decode()


def page_messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def post_enroll(client: Client, name: str = "python-basics", **data):
    return client.post(f"/lms/batches/{name}/enroll", data, follow=True)


def queries_for(client: Client, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured.captured_queries)


# Sign-in -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", PORTAL_PAGES)
def test_portal_pages_send_anonymous_visitors_to_login(client, batch, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/login?next=")


@pytest.mark.parametrize("path", PORTAL_PAGES)
def test_portal_pages_render_for_a_signed_in_learner(signed_in, batch, path):
    assert signed_in.get(path).status_code == 200


def test_login_with_bad_credentials_shows_a_clear_error(client, learner):
    response = client.post("/login", {"username": learner.email, "password": "wrong"})
    assert response.status_code == 200
    assert "Your email and password did not match" in html(response)


def test_learner_login_lands_on_the_cohorts(client, learner):
    response = client.post("/login", {"username": "ADA@example.com", "password": "correct horse battery"})
    assert response["Location"] == "/lms/batches"


# /lms/batches ----------------------------------------------------------------------------------


def test_list_shows_contract_seat_labels(signed_in, db):
    BatchFactory(title="Three left", seat_count=3)
    BatchFactory(title="One left", seat_count=1)
    BatchFactory(title="None left", seat_count=0)
    BatchFactory(title="Unlimited", seat_count=None)
    page = html(signed_in.get("/lms/batches"))
    assert "3 Seats Left" in page and "1 Seat Left" in page and "Sold Out" in page and "Open seats" in page


def test_list_counts_taken_seats_and_marks_enrolled_cohorts(signed_in, learner, batch):
    enroll(batch=batch, member=learner, actor=learner, source=Source.PORTAL)
    page = html(signed_in.get("/lms/batches"))
    assert "2 Seats Left" in page
    assert "data-enrolled>Enrolled</span>" in page


def test_list_hides_unpublished_and_ended_cohorts(signed_in, batch):
    BatchFactory(title="Hidden draft", published=False)
    BatchFactory(title="Long gone", start_date=today() - dt.timedelta(days=30), end_date=today() - dt.timedelta(days=2))
    page = html(signed_in.get("/lms/batches"))
    assert "Python Basics" in page
    assert "Hidden draft" not in page and "Long gone" not in page


def test_list_puts_upcoming_cohorts_first_then_running_ones_marked_started(signed_in, db):
    BatchFactory(
        title="Running cohort", start_date=today() - dt.timedelta(days=3), end_date=today() + dt.timedelta(days=10)
    )
    BatchFactory(title="Later cohort", start_date=today() + dt.timedelta(days=40))
    BatchFactory(title="Sooner cohort", start_date=today() + dt.timedelta(days=5))
    page = html(signed_in.get("/lms/batches"))
    assert page.index("Sooner cohort") < page.index("Later cohort") < page.index("Running cohort")
    running_card = page[page.index("Running cohort") - 600 : page.index("Running cohort")]
    assert ">Started<" in running_card


def test_list_names_the_cohort_zone_and_shows_the_learners_own_time(client, db):
    BatchFactory(
        title="Remote",
        timezone="Asia/Kolkata",
        start_date=dt.date(2030, 1, 15),
        start_time=dt.time(9, 0),
        end_date=dt.date(2030, 1, 20),
    )
    client.force_login(UserFactory(time_zone="Europe/London"))
    page = html(client.get("/lms/batches"))
    assert 'Tue 15 Jan 2030, 09:00</time> <span class="zone">Asia/Kolkata</span>' in page
    # 09:00 in Kolkata (UTC+05:30) is 03:30 in London in January (UTC+00:00).
    assert 'Your time: Tue 15 Jan 2030, 03:30 <span class="zone">Europe/London</span>' in page


def test_list_leaves_the_learners_time_to_the_browser_when_no_zone_is_chosen(signed_in, db):
    BatchFactory(
        title="Remote",
        timezone="Asia/Kolkata",
        start_date=dt.date(2030, 1, 15),
        start_time=dt.time(9, 0),
        end_date=dt.date(2030, 1, 20),
    )
    page = html(signed_in.get("/lms/batches"))
    assert 'data-start="2030-01-15T03:30:00Z"' in page and 'data-zone="Asia/Kolkata"' in page
    assert "smoothlms/localtime.js" in page


def test_list_escapes_html_in_titles_and_descriptions(signed_in, db):
    BatchFactory(title="<script>alert('t')</script>", description="<img src=x onerror=alert(1)>")
    page = html(signed_in.get("/lms/batches"))
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&#x27;t&#x27;)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_list_runs_a_constant_number_of_queries(signed_in, learner, db):
    BatchFactory()
    baseline = queries_for(signed_in, "/lms/batches")
    for batch in BatchFactory.create_batch(3, seat_count=5):
        enroll(batch=batch, member=learner, actor=learner, source=Source.PORTAL)
    BatchFactory.create_batch(30)
    assert queries_for(signed_in, "/lms/batches") == baseline


def test_list_with_a_thousand_cohorts_stays_at_the_same_queries_and_paginates(signed_in, db):
    BatchFactory()
    baseline = queries_for(signed_in, "/lms/batches")
    start = today() + dt.timedelta(days=10)
    Batch.objects.bulk_create(
        Batch(
            name=f"bulk-{number}",
            title=f"Bulk cohort {number}",
            start_date=start + dt.timedelta(days=number % 90),
            start_time=dt.time(9),
            end_date=start + dt.timedelta(days=100),
            end_time=dt.time(17),
            timezone="Europe/Berlin",
            seat_count=20,
            published=True,
            allow_self_enrollment=True,
        )
        for number in range(1000)
    )
    assert queries_for(signed_in, "/lms/batches") == baseline
    response = signed_in.get("/lms/batches?page=2")
    assert "Page 2 of 34" in html(response)


# /lms/batches/<name> ---------------------------------------------------------------------------


def test_detail_shows_description_courses_live_classes_seats_and_enroll(signed_in, batch):
    LiveClassFactory(batch=batch, title="Kick-off call")
    page = html(signed_in.get("/lms/batches/python-basics"))
    assert "<h1>Python Basics</h1>" in page and "Learn Python." in page
    assert "Intro to Python" in page and "Testing" in page
    assert "Kick-off call" in page
    assert "3 Seats Left" in page
    assert '<button type="submit" class="primary">Enroll</button>' in page
    assert "Europe/Berlin" in page


def test_detail_tells_an_enrolled_learner_and_hides_the_button(signed_in, learner, batch):
    enroll(batch=batch, member=learner, actor=learner, source=Source.PORTAL)
    page = html(signed_in.get("/lms/batches/python-basics"))
    assert "You are enrolled in this cohort." in page
    assert ">Enroll</button>" not in page


def test_detail_of_an_unknown_cohort_is_a_friendly_404(signed_in):
    response = signed_in.get("/lms/batches/no-such-cohort")
    assert response.status_code == 404
    assert "No cohort named no-such-cohort." in html(response)
    assert 'href="/lms/batches"' in html(response)


def test_detail_of_an_unpublished_cohort_is_404_for_students_only(signed_in, client, db):
    BatchFactory(name="draft", title="Draft cohort", published=False)
    assert signed_in.get("/lms/batches/draft").status_code == 404
    staff = Client()
    staff.force_login(moderator())
    assert "Draft cohort" in html(staff.get("/lms/batches/draft"))


def test_detail_escapes_html_in_titles_and_descriptions(signed_in, db):
    BatchFactory(name="xss", title="<script>alert(1)</script>", description="<b onmouseover=alert(2)>hi</b>")
    page = html(signed_in.get("/lms/batches/xss"))
    assert "<script>alert(1)" not in page and "<b onmouseover" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "&lt;b onmouseover=alert(2)&gt;" in page


def test_detail_escapes_a_hostile_name_in_the_404_message(signed_in):
    response = signed_in.get("/lms/batches/%3Cimg%20src=x%20onerror=alert(1)%3E")
    assert response.status_code == 404
    assert "<img src=x" not in html(response)
    assert "No cohort named &lt;img src=x onerror=alert(1)&gt;." in html(response)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"seat_count": 0}, "This cohort is full."),
        ({"allow_self_enrollment": False}, "Self enrollment is not open for this cohort."),
        ({"start_date": dt.date.today() - dt.timedelta(days=1)}, "This cohort has already started."),
    ],
)
def test_detail_says_up_front_why_enrolling_cannot_work(signed_in, db, fields, message):
    BatchFactory(name="blocked", **fields)
    page = html(signed_in.get("/lms/batches/blocked"))
    assert message in page
    assert ">Enroll</button>" not in page


def test_detail_offers_enroll_after_the_start_when_late_joins_are_open(signed_in, learner, db):
    BatchFactory(
        name="rolling",
        title="Rolling cohort",
        start_date=today() - dt.timedelta(days=1),
        late_join_policy="open_until_end",
    )
    assert ">Enroll</button>" in html(signed_in.get("/lms/batches/rolling"))
    response = post_enroll(signed_in, "rolling")
    assert page_messages(response) == ["Welcome aboard: you are now enrolled in Rolling cohort."]


def test_unknown_portal_paths_get_the_friendly_404_page(signed_in):
    response = signed_in.get("/lms/no-such-page")
    assert response.status_code == 404
    assert "We could not find that page" in html(response) and 'href="/lms/batches"' in html(response)


def test_detail_runs_a_constant_number_of_queries(signed_in, batch):
    baseline = queries_for(signed_in, "/lms/batches/python-basics")
    LiveClassFactory.create_batch(10, batch=batch)
    batch.batch_courses.create(course=CourseFactory(), position=5)
    BatchFactory.create_batch(20)
    assert queries_for(signed_in, "/lms/batches/python-basics") == baseline


# POST /lms/batches/<name>/enroll ------------------------------------------------------------------


def test_enroll_enrolls_the_learner_then_redirects_with_a_success_message(signed_in, learner, batch):
    response = signed_in.post("/lms/batches/python-basics/enroll")
    assert response.status_code == 302 and response["Location"] == "/lms/batches/python-basics"
    response = signed_in.get(response["Location"])
    assert page_messages(response) == ["Welcome aboard: you are now enrolled in Python Basics."]
    assert "You are enrolled in this cohort." in html(response)
    assert "2 Seats Left" in html(response)
    enrollment = BatchEnrollment.objects.get(batch=batch, member=learner)
    assert enrollment.status == EnrollmentStatus.ACTIVE and enrollment.source == Source.PORTAL
    assert enrollment.created_by == learner
    assert CourseEnrollment.objects.filter(member=learner, enrollment_from_batch=batch).count() == 2


def test_enroll_twice_shows_already_enrolled(signed_in, learner, batch):
    post_enroll(signed_in)
    response = post_enroll(signed_in)
    assert page_messages(response) == ["You are already enrolled for this cohort."]
    assert BatchEnrollment.objects.filter(batch=batch).count() == 1
    assert Batch.objects.get(pk=batch.pk).seats_taken == 1


def test_enroll_in_a_full_cohort_shows_cohort_full(signed_in, learner, other, db):
    full = BatchFactory(name="tiny", seat_count=1)
    enroll(batch=full, member=other, actor=other, source=Source.PORTAL)
    response = post_enroll(signed_in, "tiny")
    assert page_messages(response) == ["This cohort is full."]
    assert not BatchEnrollment.objects.filter(batch=full, member=learner).exists()


def test_enroll_in_a_started_cohort_shows_cohort_started(signed_in, learner, db):
    BatchFactory(name="started", start_date=today() - dt.timedelta(days=1))
    response = post_enroll(signed_in, "started")
    assert page_messages(response) == ["This cohort has already started."]
    assert not BatchEnrollment.objects.filter(member=learner).exists()


def test_enroll_when_self_enrollment_is_closed_is_refused(signed_in, learner, db):
    BatchFactory(name="closed", allow_self_enrollment=False)
    response = post_enroll(signed_in, "closed")
    assert page_messages(response) == ["Self enrollment is not open for this cohort."]
    assert not BatchEnrollment.objects.filter(member=learner).exists()


def test_enroll_in_a_paid_cohort_needs_a_payment(signed_in, learner, db):
    paid = BatchFactory(name="paid", title="Paid cohort", paid_batch=True, amount=Decimal("100.00"), currency="EUR")
    response = post_enroll(signed_in, "paid")
    assert page_messages(response) == ["Payment is required to enroll in this cohort."]
    assert not BatchEnrollment.objects.filter(member=learner).exists()
    record_payment(batch=paid, member=learner, amount=Decimal("100.00"), currency="EUR", actor=None)
    response = post_enroll(signed_in, "paid")
    assert page_messages(response) == ["Welcome aboard: you are now enrolled in Paid cohort."]


def test_enroll_in_an_ended_cohort_shows_cohort_ended(signed_in, db):
    BatchFactory(name="ended", start_date=today() - dt.timedelta(days=20), end_date=today() - dt.timedelta(days=1))
    assert page_messages(post_enroll(signed_in, "ended")) == ["This cohort has ended."]


def test_enroll_again_after_cancelling_reactivates(signed_in, learner, batch):
    post_enroll(signed_in)
    cancel_enrollment(batch=batch, member=learner, actor=None)
    response = post_enroll(signed_in)
    assert page_messages(response) == ["Welcome aboard: you are now enrolled in Python Basics."]
    assert BatchEnrollment.objects.get(batch=batch, member=learner).status == EnrollmentStatus.ACTIVE


def test_enroll_in_an_unknown_cohort_is_404(signed_in):
    response = signed_in.post("/lms/batches/nope/enroll")
    assert response.status_code == 404
    assert "No cohort named nope." in html(response)


def test_enroll_in_an_unpublished_cohort_is_404_and_changes_nothing(signed_in, learner, db):
    BatchFactory(name="draft", published=False)
    assert signed_in.post("/lms/batches/draft/enroll").status_code == 404
    assert not BatchEnrollment.objects.exists()


def test_enroll_without_csrf_token_is_403(learner, batch):
    client = Client(enforce_csrf_checks=True)
    client.force_login(learner)
    assert client.post("/lms/batches/python-basics/enroll").status_code == 403
    assert not BatchEnrollment.objects.exists()


def test_enroll_with_the_page_csrf_token_works(learner, batch):
    client = Client(enforce_csrf_checks=True)
    client.force_login(learner)
    client.get("/lms/batches/python-basics")
    token = client.cookies["csrftoken"].value
    response = client.post("/lms/batches/python-basics/enroll", {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert BatchEnrollment.objects.filter(member=learner).exists()


def test_a_student_cannot_enroll_someone_else(signed_in, learner, other, batch):
    for field, value in [("member", other.email), ("email", other.email.upper()), ("user_id", str(other.pk))]:
        response = post_enroll(signed_in, **{field: value})
        assert page_messages(response) == ["You do not have permission to enroll other users."]
    assert not BatchEnrollment.objects.exists()


def test_tampered_fields_are_ignored(signed_in, learner, db):
    started = BatchFactory(name="started", start_date=today() - dt.timedelta(days=1))
    response = post_enroll(
        signed_in,
        "started",
        member=learner.email,
        override_start="1",
        reason="please",
        source="desk",
        seat_count="100",
        notify="0",
    )
    assert page_messages(response) == ["This cohort has already started."]
    assert not BatchEnrollment.objects.filter(batch=started).exists()
    BatchFactory(name="open")
    post_enroll(signed_in, "open", source="desk", member=learner.email, created_by="1")
    enrollment = BatchEnrollment.objects.get(member=learner)
    assert enrollment.source == Source.PORTAL and enrollment.created_by == learner


def test_enroll_accepts_only_post(signed_in, batch):
    assert signed_in.get("/lms/batches/python-basics/enroll").status_code == 405


def test_anonymous_enroll_goes_to_login_and_changes_nothing(client, batch):
    response = client.post("/lms/batches/python-basics/enroll")
    assert response.status_code == 302
    assert response["Location"] == "/login?next=%2Flms%2Fbatches%2Fpython-basics"
    assert not BatchEnrollment.objects.exists()


# /lms/courses ----------------------------------------------------------------------------------


def test_courses_lists_cohort_and_direct_course_enrollments(signed_in, learner, batch):
    enroll(batch=batch, member=learner, actor=learner, source=Source.PORTAL)
    CourseEnrollment.objects.create(member=learner, course=CourseFactory(title="Security basics"))
    page = html(signed_in.get("/lms/courses"))
    assert "Intro to Python" in page and "Testing" in page and "Security basics" in page
    assert '<a href="/lms/batches/python-basics">Python Basics</a>' in page
    assert "Direct enrollment" in page


def test_courses_of_another_learner_are_not_shown(signed_in, other, batch):
    enroll(batch=batch, member=other, actor=other, source=Source.PORTAL)
    page = html(signed_in.get("/lms/courses"))
    assert "Intro to Python" not in page and "You have no courses yet." in page


def test_courses_runs_a_constant_number_of_queries(signed_in, learner, batch):
    enroll(batch=batch, member=learner, actor=learner, source=Source.PORTAL)
    baseline = queries_for(signed_in, "/lms/courses")
    for cohort in BatchFactory.create_batch(5, courses=[CourseFactory()]):
        enroll(batch=cohort, member=learner, actor=learner, source=Source.PORTAL)
    assert queries_for(signed_in, "/lms/courses") == baseline


# /lms/timetable --------------------------------------------------------------------------------


def test_timetable_shows_upcoming_classes_of_active_cohorts_only(signed_in, learner, other, batch):
    enroll(batch=batch, member=learner, actor=learner, source=Source.PORTAL)
    LiveClassFactory(batch=batch, title="Upcoming class")
    LiveClassFactory(batch=batch, title="Past class", date=today() - dt.timedelta(days=3))
    LiveClassFactory(title="Not my cohort")
    dropped = BatchFactory(title="Dropped")
    enroll(batch=dropped, member=learner, actor=learner, source=Source.PORTAL)
    cancel_enrollment(batch=dropped, member=learner, actor=None)
    LiveClassFactory(batch=dropped, title="Class of a cancelled enrollment")
    page = html(signed_in.get("/lms/timetable"))
    assert "Upcoming class" in page
    assert "Past class" not in page and "Not my cohort" not in page and "Class of a cancelled enrollment" not in page


def test_timetable_orders_classes_as_instants_and_shows_both_zones(client, db):
    learner = UserFactory(time_zone="America/New_York")
    cohort = BatchFactory(timezone="Europe/Berlin", start_date=dt.date(2030, 1, 10), end_date=dt.date(2030, 2, 10))
    enroll(batch=cohort, member=learner, actor=None, source=Source.DESK)
    LiveClassFactory(batch=cohort, title="Berlin 10:00", date=dt.date(2030, 1, 15), time=dt.time(10, 0))
    # 08:00 in Tokyo is 00:00 in Berlin the same day: earlier than the Berlin class.
    LiveClassFactory(
        batch=cohort,
        title="Tokyo 08:00",
        date=dt.date(2030, 1, 15),
        time=dt.time(8, 0),
        timezone="Asia/Tokyo",
        duration=60,
    )
    client.force_login(learner)
    page = html(client.get("/lms/timetable"))
    assert page.index("Tokyo 08:00") < page.index("Berlin 10:00")
    assert 'Tue 15 Jan 2030, 10:00–11:30</time> <span class="zone">Europe/Berlin</span>' in page
    assert 'Your time: Tue 15 Jan 2030, 04:00–05:30 <span class="zone">America/New_York</span>' in page


def test_timetable_offers_the_private_feed_url(signed_in, learner):
    page = html(signed_in.get("/lms/timetable"))
    learner.refresh_from_db()
    assert learner.calendar_token
    assert f"http://testserver/lms/timetable/{learner.calendar_token}.ics" in page
    assert 'href="/lms/timetable.ics"' in page


def test_timetable_runs_a_constant_number_of_queries(signed_in, learner, batch):
    enroll(batch=batch, member=learner, actor=learner, source=Source.PORTAL)
    LiveClassFactory(batch=batch)
    signed_in.get("/lms/timetable")  # the feed token is made once, on the first visit
    baseline = queries_for(signed_in, "/lms/timetable")
    for cohort in BatchFactory.create_batch(4):
        enroll(batch=cohort, member=learner, actor=learner, source=Source.PORTAL)
        LiveClassFactory.create_batch(3, batch=cohort)
    assert queries_for(signed_in, "/lms/timetable") == baseline


# /lms/profile ----------------------------------------------------------------------------------


def test_profile_saves_a_valid_time_zone(signed_in, learner):
    response = signed_in.post("/lms/profile", {"time_zone": "Asia/Kolkata"}, follow=True)
    assert page_messages(response) == ["Times are now also shown in Asia/Kolkata."]
    learner.refresh_from_db()
    assert learner.time_zone == "Asia/Kolkata"
    assert '<option value="Asia/Kolkata" selected>' in html(response)


def test_profile_refuses_a_time_zone_that_is_not_iana(signed_in, learner):
    response = signed_in.post("/lms/profile", {"time_zone": "Mars/Olympus_Mons"})
    assert response.status_code == 200
    assert "Mars/Olympus_Mons is not a valid IANA time zone (for example Europe/Berlin)." in html(response)
    learner.refresh_from_db()
    assert learner.time_zone == ""


def test_profile_blank_goes_back_to_the_browser_zone(signed_in, learner):
    signed_in.post("/lms/profile", {"time_zone": "Asia/Kolkata"}, follow=True)
    response = signed_in.post("/lms/profile", {"time_zone": ""}, follow=True)
    assert page_messages(response) == ["Times are now also shown in your browser's time zone."]
    learner.refresh_from_db()
    assert learner.time_zone == ""


def test_profile_post_needs_csrf(learner):
    client = Client(enforce_csrf_checks=True)
    client.force_login(learner)
    assert client.post("/lms/profile", {"time_zone": "Asia/Kolkata"}).status_code == 403
