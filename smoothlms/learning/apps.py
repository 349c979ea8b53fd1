from django.apps import AppConfig


class LearningConfig(AppConfig):
    name = "smoothlms.learning"
    label = "learning"
    verbose_name = "Learning"
