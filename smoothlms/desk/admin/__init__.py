"""The desk's admin classes, one module per domain app (desk/admin/<app>.py). Importing this
package (Django's admin autodiscovery does, for the desk app) registers them."""

from smoothlms.desk.admin import assessments  # noqa: F401 - registers the assessments admins
