from django.apps import AppConfig


class UsersConfig(AppConfig):
    name = "users"
    verbose_name = "Users"

    def ready(self):
        # Registers the deployment checks (config has no AppConfig of its own).
        from config import checks as config_checks  # noqa: F401
        from config import staticfiles as config_staticfiles  # noqa: F401
        from users import checks  # noqa: F401
