"""Demo data: a realistic organisation that shows every cohort state (used by `smoothlms demo`
and the first `make run`). Everything is created through the services, as users would."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from smoothlms.catalog.models import Batch, LiveClass
from smoothlms.catalog.services import create_batch, create_course
from smoothlms.demo.accounts import DOMAIN, LOGINS
from smoothlms.enrollment.models import Source
from smoothlms.enrollment.services import bulk_enroll, enroll, record_payment
from smoothlms.people.models import Employee, EmployeeStatus, User
from smoothlms.people.services import create_user

DEPARTMENTS = ["Engineering", "Sales", "Support", "Finance", "Operations", "People"]
FIRST = ["Aiko", "Bruno", "Chloe", "Dev", "Elena", "Farah", "Gus", "Hiro", "Ines", "Jon", "Kemi", "Lars",
         "Maya", "Nico", "Olu", "Priya", "Quinn", "Rosa", "Sven", "Tara"]
LAST = ["Ng", "Silva", "Martin", "Patel", "Kowalski", "Haddad", "Berg", "Sato", "Costa", "Reyes"]


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
            employee=f"HR-EMP-{number:05d}", employee_name=name, company_email=email, user=user,
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
        Employee.objects.create(employee=f"HR-EMP-9{user.pk:04d}", employee_name=user.full_name,
                                company_email=user.email, user=user, department="Engineering",
                                date_of_joining=today - dt.timedelta(days=400), employment_type="Full-time")
    return employees


def _live_classes(batch: Batch, zone: str, count: int, hour: int) -> None:
    for index in range(count):
        LiveClass.objects.create(batch=batch, title=f"{batch.title}: session {index + 1}",
                                 date=batch.start_date + dt.timedelta(days=2 * index), time=dt.time(hour, 0),
                                 duration=90, timezone=zone, join_url="https://meet.example.com/" + batch.name)


def load_demo(*, seed: int = 7) -> dict[str, int]:
    """Load the demo organisation into an empty database. Returns what it made."""
    rng = random.Random(seed)
    employees = _people(rng)
    moderator = User.objects.get(email=f"moderator@{DOMAIN}")
    today = timezone.localdate()
    security = create_course(title="Security Basics", published=True, actor=moderator,
                             description="Phishing, passwords and safe data handling.")
    onboarding = create_course(title="Company Onboarding", published=True, actor=moderator)
    leadership = create_course(title="Leading Teams", published=True, actor=moderator)
    create_course(title="Advanced Negotiation (draft)", published=False, actor=moderator)

    def cohort(title, *, start_in, days, zone, seats, courses, **extra):
        start = today + dt.timedelta(days=start_in)
        return create_batch(title=title, start_date=start, start_time=dt.time(9, 0),
                            end_date=start + dt.timedelta(days=days), end_time=dt.time(17, 0), timezone=zone,
                            seat_count=seats, courses=courses, actor=moderator, **extra)

    open_cohort = cohort("Security Basics — January", start_in=21, days=14, zone="Europe/Berlin", seats=50,
                         courses=[security], published=True, allow_self_enrollment=True,
                         description="Self-paced modules plus two live workshops.")
    _live_classes(open_cohort, "Europe/Berlin", 2, 10)
    new_hires = cohort("New Hire — Week 12", start_in=10, days=5, zone="Asia/Kolkata", seats=30,
                       courses=[onboarding, security], published=True,
                       description="Everything a new colleague needs in their first week.")
    _live_classes(new_hires, "Asia/Kolkata", 3, 9)
    full = cohort("Leading Teams — Spring", start_in=35, days=30, zone="America/New_York", seats=12,
                  courses=[leadership], published=True, allow_self_enrollment=True)
    _live_classes(full, "America/New_York", 2, 11)
    running = cohort("Security Basics — Autumn", start_in=-5, days=20, zone="Europe/London", seats=40,
                     courses=[security], published=True, allow_self_enrollment=True)
    paid = cohort("External Leadership Certificate", start_in=45, days=60, zone="Europe/Berlin", seats=20,
                  courses=[leadership], published=True, allow_self_enrollment=True, paid_batch=True,
                  amount=Decimal("450.00"), currency="EUR")
    cohort("Security Basics — Draft", start_in=90, days=14, zone="Europe/Berlin", seats=25, courses=[security],
           published=False)

    managers = [u.email for u in employees[:12]]
    bulk_enroll(batch=full, members=managers, actor=moderator, source=Source.DESK, notify=False)
    bulk_enroll(batch=new_hires, members=[u.email for u in employees[12:20]], actor=moderator,
                source=Source.HR_RULE, notify=True)
    bulk_enroll(batch=running, members=[u.email for u in employees[20:45]], actor=moderator, source=Source.IMPORT,
                override_start=True, reason="Demo: enrolled during the first week", notify=False)
    bulk_enroll(batch=open_cohort, members=[u.email for u in employees[45:60]], actor=moderator,
                source=Source.PORTAL, notify=False)
    ben = User.objects.get(email=f"ben@{DOMAIN}")
    enroll(batch=open_cohort, member=ben, actor=ben, source=Source.PORTAL)
    record_payment(batch=paid, member=User.objects.get(email=f"asha@{DOMAIN}"), amount=Decimal("450.00"),
                   currency="EUR", reference="DEMO-INV-001", actor=moderator)
    return {"users": User.objects.count(), "employees": Employee.objects.count(), "cohorts": Batch.objects.count()}
