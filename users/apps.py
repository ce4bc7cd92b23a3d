from django.apps import AppConfig


class UsersConfig(AppConfig):
    name = "users"
    verbose_name = "Users"

    def ready(self):
        from users import checks  # noqa: F401  (registers the deployment checks)
