from django.apps import AppConfig


class TrainingConfig(AppConfig):
    name = "smoothlms.training"
    label = "training"
