from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone

from smoothlms.catalog.models import Batch, Course, LiveClass


class CourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Course

    name = factory.Sequence(lambda n: f"course-{n}")
    title = factory.Sequence(lambda n: f"Course {n}")
    published = True


class BatchFactory(factory.django.DjangoModelFactory):
    """A published cohort starting in 30 days, 09:00-17:00 in Europe/Berlin, 10 seats."""

    class Meta:
        model = Batch
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"cohort-{n}")
    title = factory.Sequence(lambda n: f"Cohort {n}")
    start_date = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=30))
    start_time = dt.time(9, 0)
    end_date = factory.LazyAttribute(lambda o: o.start_date + dt.timedelta(days=14))
    end_time = dt.time(17, 0)
    timezone = "Europe/Berlin"
    seat_count = 10
    allow_self_enrollment = True
    published = True

    @factory.post_generation
    def courses(self, create, extracted, **kwargs):
        if create and extracted:
            for position, course in enumerate(extracted):
                self.batch_courses.create(course=course, position=position)


class LiveClassFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LiveClass

    batch = factory.SubFactory(BatchFactory)
    title = factory.Sequence(lambda n: f"Session {n}")
    date = factory.LazyAttribute(lambda o: o.batch.start_date)
    time = dt.time(10, 0)
    duration = 90
    timezone = factory.LazyAttribute(lambda o: o.batch.timezone)
