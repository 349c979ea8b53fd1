"""The `smoothlms` command: Django's manage.py with the settings preset."""

import os
import sys

from django.conf import settings  # lazy: the settings module is read on first access, below
from django.core.exceptions import ImproperlyConfigured
from django.core.management import execute_from_command_line


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smoothlms.config.settings")
    try:
        settings.INSTALLED_APPS  # noqa: B018 - loads the settings: a bad variable stops here, in one line
    except ImproperlyConfigured as exc:
        sys.stderr.write(f"error: improperly_configured: {exc}\n")
        sys.exit(2)
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
