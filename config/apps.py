from django.contrib.admin.apps import AdminConfig


class YayinAdminConfig(AdminConfig):
    """django.contrib.admin, with the site whose login is throttled (config/admin_site.py)."""

    default_site = "config.admin_site.YayinAdminSite"
