from django.apps import AppConfig


class DefectionsConfig(AppConfig):
    name = "defections"
    verbose_name = "Defection cases"

    def ready(self):
        from defections import permissions  # noqa: F401  (registers the object permission rules)
