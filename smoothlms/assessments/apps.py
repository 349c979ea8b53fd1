from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "smoothlms.assessments"
    label = "assessments"
    verbose_name = "Assessments"
