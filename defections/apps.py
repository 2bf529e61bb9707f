from django.apps import AppConfig


class DefectionsConfig(AppConfig):
    name = "defections"
    verbose_name = "Defection cases"
