from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "kantoor.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from kantoor.core import personal_data, policy

        policy.register_grants(policy.CORE_GRANTS)
        personal_data.register_core_models()
