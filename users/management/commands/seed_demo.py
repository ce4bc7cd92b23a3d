"""`manage.py seed_demo`: demo data for `make run` (idempotent: a second run adds nothing).

Each app contributes through its own `demo.py` with a `seed(stdout)` function, run in
dependency order.
"""

import importlib

from django.core.management.base import BaseCommand
from django.db import transaction

DEMO_MODULES = ["users.demo", "consents.demo", "livestreams.demo"]


class Command(BaseCommand):
    help = "Load demo users, photos, follows, legal documents and streams."

    def handle(self, *args, **options):
        for module_name in DEMO_MODULES:
            try:
                module = importlib.import_module(module_name)
            except ModuleNotFoundError as error:
                if error.name != module_name:
                    raise
                continue
            with transaction.atomic():
                module.seed(self.stdout)
