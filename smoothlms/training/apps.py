from django.apps import AppConfig


class TrainingConfig(AppConfig):
    name = "smoothlms.training"
    label = "training"

    def ready(self) -> None:
        # Here, not at the top: the receivers import the models, loaded only after every AppConfig.
        from smoothlms.training import receivers  # noqa: F401
