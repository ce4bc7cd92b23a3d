"""`manage.py credit_package`: create or update a credit package by its store product id
(contract section 5, "Operators"), so deploy scripts can load what the stores sell.

    manage.py credit_package --product-id yayin.credits.100 --name "100 credits" \\
        --credits 100 --price 4.99 --currency USD [--inactive]

Idempotent: the package with that product id gets exactly these values (active unless
`--inactive`); a run that changes nothing says so and writes nothing. The values are checked
by the admin's own form (users.admin.CreditPackageForm), so both refuse the same things.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from users.admin import CreditPackageForm
from users.credits.models import CreditPackage, format_credits

OPTION_OF_FIELD = {
    "product_id": "--product-id",
    "name": "--name",
    "credits": "--credits",
    "price": "--price",
    "currency": "--currency",
    "is_active": "--inactive",
}


class Command(BaseCommand):
    help = "Create or update a credit package by its store product id."

    def add_arguments(self, parser):
        parser.add_argument(
            "--product-id", required=True, help="The store product id RevenueCat reports."
        )
        parser.add_argument("--name", required=True, help='What the apps show, e.g. "100 credits".')
        parser.add_argument(
            "--credits",
            required=True,
            help="Credits the package gives: above 0, at most 1000000, 2 decimals at most.",
        )
        parser.add_argument(
            "--price", required=True, help="The store price, 0 or more (shown in the apps)."
        )
        parser.add_argument("--currency", required=True, help="ISO 4217 code, e.g. USD.")
        parser.add_argument(
            "--inactive",
            action="store_true",
            help="Create or keep the package switched off (not listed, not credited).",
        )

    @transaction.atomic
    def handle(self, *args, **options):
        product_id = options["product_id"].strip()
        existing = CreditPackage.objects.select_for_update().filter(product_id=product_id).first()
        # As stored, before the form's validation copies the new values onto the instance.
        before = {name: getattr(existing, name) for name in OPTION_OF_FIELD} if existing else {}
        form = CreditPackageForm(
            data={
                "product_id": product_id,
                "name": options["name"],
                "credits": options["credits"],
                "price": options["price"],
                "currency": options["currency"],
                "is_active": not options["inactive"],
            },
            instance=existing,
        )
        if not form.is_valid():
            raise CommandError(
                " ".join(
                    f"{OPTION_OF_FIELD.get(field, field)}: {message}"
                    for field, messages in form.errors.items()
                    for message in messages
                )
            )
        if existing is not None and before == {name: form.cleaned_data[name] for name in before}:
            self.stdout.write(
                f"Credit package {product_id} is already up to date: {described(existing)}."
            )
            return
        package = form.save()
        done = "updated" if existing else "created"
        self.stdout.write(f"Credit package {package.product_id} {done}: {described(package)}.")


def described(package: CreditPackage) -> str:
    state = "active" if package.is_active else "inactive"
    return (
        f'"{package.name}", {format_credits(package.credits)} credits for '
        f"{format_credits(package.price)} {package.currency}, {state}"
    )
