"""`manage.py credits_audit`: every balance against the ledger; exits 1 on any mismatch."""

import sys

from django.core.management.base import BaseCommand

from users.credits.selectors import ledger_audit


class Command(BaseCommand):
    help = "Check every credit balance against the ledger (contract section 5)."

    def handle(self, *args, **options):
        problems = ledger_audit()
        for problem in problems:
            self.stderr.write(problem)
        if problems:
            self.stderr.write(f"{len(problems)} mismatch(es).")
            sys.exit(1)
        self.stdout.write("Credits audit: every balance matches the ledger.")
