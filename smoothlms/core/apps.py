from django.apps import AppConfig
from django.core import checks

from smoothlms.core.checks import check_periodic_jobs


class CoreConfig(AppConfig):
    name = "smoothlms.core"
    label = "core"

    def ready(self) -> None:
        checks.register(check_periodic_jobs)
