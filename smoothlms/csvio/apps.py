from django.apps import AppConfig


class CsvioConfig(AppConfig):
    """CSV and XLSX in and out: file reading, per-row reports, formula-safe exports, and the commands
    that read files or write exports. An interface: no models; it calls services and selectors."""

    name = "smoothlms.csvio"
    label = "csvio"
