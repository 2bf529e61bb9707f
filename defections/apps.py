from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DefectionsConfig(AppConfig):
    name = "defections"
    verbose_name = _("Defection cases")

    def ready(self):
        from defections import permissions  # noqa: F401  (registers the object permission rules)
