"""Every admin class of the desk, one module per domain app (CONTRACT.md section 4). Django's
admin autodiscovery imports this package, which registers them all on the desk site. Admin URLs
and their reverse names follow each model's app_label (admin:catalog_batch_change, ...)."""

from smoothlms.desk.admin import (  # noqa: F401
    assessments,
    audit,
    catalog,
    enrollment,
    hr,
    learning,
    notifications,
    people,
    training,
)
