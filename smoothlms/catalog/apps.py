from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "smoothlms.catalog"
    label = "catalog"
