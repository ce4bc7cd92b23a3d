"""`manage.py seed_demo`: demo data for `make run` (idempotent: a second run adds nothing).

Each app contributes through its own `demo.py` with a `seed(stdout)` function, run in
dependency order.
"""

import importlib

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

DEMO_MODULES = ["users.demo", "consents.demo", "livestreams.demo"]


class Command(BaseCommand):
    help = "Load demo users, photos, follows, legal documents and streams (development only)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even though DJANGO_DEBUG is off (the demo staff password is public).",
        )

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "seed_demo creates a staff account with a published password; it runs only "
                "with DJANGO_DEBUG=true (or --force on a throwaway database)."
            )
        for module_name in DEMO_MODULES:
            try:
                module = importlib.import_module(module_name)
            except ModuleNotFoundError as error:
                if error.name != module_name:
                    raise
                continue
            with transaction.atomic():
                module.seed(self.stdout)
