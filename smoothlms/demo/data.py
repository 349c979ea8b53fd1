"""Demo data: a realistic organisation that shows every cohort state (used by `smoothlms demo`
and the first `make run`). Everything is created through the services, as users would.

It carries the guide's paths: the learners Asha and Ben have a week to look at (cohorts with live
classes in four time zones, courses part-way, a training assignment due soon and one overdue), and
HR has new hires joining next Monday (in Support, with users but no password yet) to enroll into
the cohort "New Hire — Monday Starters" the guide's "HR enrolls new hire class" way. LMS Settings
hold confirmations until a password is set."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from smoothlms.catalog.models import Batch, LiveClass, LMSSettings
from smoothlms.catalog.services import create_batch, create_course
from smoothlms.demo.accounts import DOMAIN, LOGINS
from smoothlms.enrollment.models import Source
from smoothlms.enrollment.services import bulk_enroll, enroll, record_payment
from smoothlms.learning.samples import build_sample_content, complete_first_lessons
from smoothlms.people.models import Employee, EmployeeStatus, User
from smoothlms.people.services import create_user
from smoothlms.training.services import assign_training

DEPARTMENTS = ["Engineering", "Sales", "Support", "Finance", "Operations", "People"]
FIRST = [
    "Aiko",
    "Bruno",
    "Chloe",
    "Dev",
    "Elena",
    "Farah",
    "Gus",
    "Hiro",
    "Ines",
    "Jon",
    "Kemi",
    "Lars",
    "Maya",
    "Nico",
    "Olu",
    "Priya",
    "Quinn",
    "Rosa",
    "Sven",
    "Tara",
]
LAST = ["Ng", "Silva", "Martin", "Patel", "Kowalski", "Haddad", "Berg", "Sato", "Costa", "Reyes"]
NEW_HIRES = ["Noor Abbasi", "Mateo Fischer", "Yuki Tanaka", "Zara Mensah", "Leo Novak", "Amara Diallo"]
NEW_HIRE_DEPARTMENT = "Support"
MONDAY_COHORT = "New Hire — Monday Starters"


def next_monday(today: dt.date) -> dt.date:
    """The Monday after `today` (a week on when today is a Monday)."""
    return today + dt.timedelta(days=7 - today.weekday())


def is_loaded() -> bool:
    return User.objects.filter(email=LOGINS[0][0]).exists()


@transaction.atomic
def _people(rng: random.Random) -> list[User]:
    for email, password, roles, name in LOGINS:
        create_user(email=email, password=password, roles=roles, full_name=name, actor=None)
    employees: list[User] = []
    today = timezone.localdate()
    for number in range(1, 201):
        name = f"{FIRST[number % len(FIRST)]} {LAST[(number * 7) % len(LAST)]}"
        email = f"{name.lower().replace(' ', '.')}{number}@{DOMAIN}"
        left = number % 17 == 0
        contractor = number % 11 == 0
        user = create_user(email=email, full_name=name, enabled=not left, actor=None)  # no password yet
        Employee.objects.create(
            employee=f"HR-EMP-{number:05d}",
            employee_name=name,
            company_email=email,
            user=user,
            status=EmployeeStatus.LEFT if left else EmployeeStatus.ACTIVE,
            date_of_joining=today - dt.timedelta(days=rng.randint(30, 2000)),
            relieving_date=today - dt.timedelta(days=rng.randint(1, 20)) if left else None,
            employment_type="Contract" if contractor else "Full-time",
            department=DEPARTMENTS[number % len(DEPARTMENTS)],
            designation=rng.choice(["Analyst", "Engineer", "Manager", "Specialist", "Lead"]),
        )
        if not left:
            employees.append(user)
    for user in (User.objects.get(email=f"asha@{DOMAIN}"), User.objects.get(email=f"ben@{DOMAIN}")):
        Employee.objects.create(
            employee=f"HR-EMP-9{user.pk:04d}",
            employee_name=user.full_name,
            company_email=user.email,
            user=user,
            department="Engineering",
            date_of_joining=today - dt.timedelta(days=400),
            employment_type="Full-time",
        )
    _new_hires(today)
    return employees


def _new_hires(today: dt.date) -> None:
    """Employees joining next Monday, with users but no password yet (their emails wait for it)."""
    joining = next_monday(today)
    for number, name in enumerate(NEW_HIRES, start=1):
        email = f"{name.lower().replace(' ', '.')}@{DOMAIN}"
        user = create_user(email=email, full_name=name, actor=None)
        Employee.objects.create(
            employee=f"HR-EMP-8{number:04d}",
            employee_name=name,
            company_email=email,
            personal_email=f"{name.split()[0].lower()}.home@example.net",
            user=user,
            date_of_joining=joining,
            department=NEW_HIRE_DEPARTMENT,
            designation="Support Specialist",
            employment_type="Full-time",
        )


def _live_classes(batch: Batch, zone: str, count: int, hour: int, *, first: dt.date | None = None) -> None:
    first = first or batch.start_date
    for index in range(count):
        LiveClass.objects.create(
            batch=batch,
            title=f"{batch.title}: session {index + 1}",
            date=first + dt.timedelta(days=2 * index),
            time=dt.time(hour, 0),
            duration=90,
            timezone=zone,
            join_url="https://meet.example.com/" + batch.name,
        )


def load_demo(*, seed: int = 7) -> dict[str, int]:
    """Load the demo organisation into an empty database. Returns what it made."""
    rng = random.Random(seed)
    employees = _people(rng)
    _hold_emails_until_password_set()
    moderator = User.objects.get(email=f"moderator@{DOMAIN}")
    asha, ben = User.objects.get(email=f"asha@{DOMAIN}"), User.objects.get(email=f"ben@{DOMAIN}")
    today = timezone.localdate()
    security = create_course(
        title="Security Basics",
        published=True,
        actor=moderator,
        description="Phishing, passwords and safe data handling.",
    )
    onboarding = create_course(title="Company Onboarding", published=True, actor=moderator)
    leadership = create_course(title="Leading Teams", published=True, actor=moderator)
    create_course(title="Advanced Negotiation (draft)", published=False, actor=moderator)

    def cohort(title, *, start_in, days, zone, seats, courses, **extra):
        start = today + dt.timedelta(days=start_in)
        return create_batch(
            title=title,
            start_date=start,
            start_time=dt.time(9, 0),
            end_date=start + dt.timedelta(days=days),
            end_time=dt.time(17, 0),
            timezone=zone,
            seat_count=seats,
            courses=courses,
            actor=moderator,
            **extra,
        )

    open_cohort = cohort(
        "Security Basics — January",
        start_in=21,
        days=14,
        zone="Europe/Berlin",
        seats=50,
        courses=[security],
        published=True,
        allow_self_enrollment=True,
        description="Self-paced modules plus two live workshops.",
    )
    _live_classes(open_cohort, "Europe/Berlin", 2, 10)
    new_hires = cohort(
        "New Hire — Week 12",
        start_in=10,
        days=5,
        zone="Asia/Kolkata",
        seats=30,
        courses=[onboarding, security],
        published=True,
        description="Everything a new colleague needs in their first week.",
    )
    _live_classes(new_hires, "Asia/Kolkata", 3, 9)
    monday = cohort(
        MONDAY_COHORT,
        start_in=(next_monday(today) - today).days,
        days=4,
        zone="America/New_York",
        seats=20,
        courses=[onboarding, security],
        published=True,
        description="The first week of the colleagues who join next Monday: HR enrolls them from the Employee list.",
    )
    _live_classes(monday, "America/New_York", 3, 10)
    full = cohort(
        "Leading Teams — Spring",
        start_in=35,
        days=30,
        zone="America/New_York",
        seats=12,
        courses=[leadership],
        published=True,
        allow_self_enrollment=True,
    )
    _live_classes(full, "America/New_York", 2, 11)
    running = cohort(
        "Security Basics — Autumn",
        start_in=-5,
        days=20,
        zone="Europe/London",
        seats=40,
        courses=[security],
        published=True,
        allow_self_enrollment=True,
    )
    _live_classes(running, "Europe/London", 3, 14, first=today + dt.timedelta(days=1))
    paid = cohort(
        "External Leadership Certificate",
        start_in=45,
        days=60,
        zone="Europe/Berlin",
        seats=20,
        courses=[leadership],
        published=True,
        allow_self_enrollment=True,
        paid_batch=True,
        amount=Decimal("450.00"),
        currency="EUR",
    )
    cohort(
        "Security Basics — Draft",
        start_in=90,
        days=14,
        zone="Europe/Berlin",
        seats=25,
        courses=[security],
        published=False,
    )

    # Asha and Ben take two of the twelve seats of the full cohort (New York).
    managers = [asha.email, ben.email, *(u.email for u in employees[:10])]
    bulk_enroll(batch=full, members=managers, actor=moderator, source=Source.DESK, notify=False)
    bulk_enroll(
        batch=new_hires,
        members=[asha.email, ben.email, *(u.email for u in employees[12:20])],
        actor=moderator,
        source=Source.HR_RULE,
        notify=True,
    )
    bulk_enroll(
        batch=running,
        members=[asha.email, ben.email, *(u.email for u in employees[20:45])],
        actor=moderator,
        source=Source.IMPORT,
        override_start=True,
        reason="Demo: enrolled during the first week",
        notify=False,
    )
    bulk_enroll(
        batch=open_cohort,
        members=[u.email for u in employees[45:60]],
        actor=moderator,
        source=Source.PORTAL,
        notify=False,
    )
    enroll(batch=open_cohort, member=ben, actor=ben, source=Source.PORTAL)
    record_payment(
        batch=paid, member=asha, amount=Decimal("450.00"), currency="EUR", reference="DEMO-INV-001", actor=moderator
    )
    _learners_week(
        learners=[asha, ben], courses={"welcome": onboarding, "security": security}, actor=moderator, today=today
    )
    return {"users": User.objects.count(), "employees": Employee.objects.count(), "cohorts": Batch.objects.count()}


def _hold_emails_until_password_set() -> None:
    """The guide: enroll only once the employee's password is set, to avoid bounced emails."""
    LMSSettings.objects.update_or_create(pk=1, defaults={"hold_emails_until_password_set": True})


# (outline, lessons Asha completed, lessons Ben completed): both part-way, never done.
PROGRESS = (("welcome", 2, 1), ("security", 1, 3))


def _learners_week(*, learners: list[User], courses: dict, actor: User, today: dt.date) -> None:
    """Lessons for the courses (outside a transaction: each step is a service of its own), the learners
    part-way through them, and a training assignment due soon and one overdue each."""
    lessons = {
        outline: build_sample_content(course=course, outline=outline, actor=actor)
        for outline, course in courses.items()
    }
    for outline, *counts in PROGRESS:
        for learner, count in zip(learners, counts, strict=True):
            complete_first_lessons(member=learner, lessons=lessons[outline], count=count, actor=learner)
    ids = [learner.pk for learner in learners]
    assign_training(
        user_ids=ids,
        courses=[courses["security"]],
        due_date=today + dt.timedelta(days=3),
        actor=actor,
        assigned_by_rule="Demo: annual security training",
    )
    # Recorded late, as a joiner's onboarding can be: already past its due date.
    assign_training(
        user_ids=ids,
        courses=[courses["welcome"]],
        due_date=today - dt.timedelta(days=4),
        actor=actor,
        assigned_by_rule="Demo: onboarding in the first month",
        allow_past_due_date=True,
    )
