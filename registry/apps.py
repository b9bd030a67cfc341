from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "registry"
    verbose_name = _("Parties and people")

    def ready(self):
        from . import checks, security  # noqa: F401  (system checks and auth event logging)
