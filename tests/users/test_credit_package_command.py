"""`manage.py credit_package` (contract section 5, "Operators"): creates or updates a credit
package by its store product id, idempotently, refusing what the admin's form refuses."""

import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from users.credits.models import CreditPackage

pytestmark = pytest.mark.django_db

D = Decimal
FIELDS = ("product_id", "name", "credits", "price", "currency", "is_active")


def run(*extra: str, **options) -> str:
    values = {
        "product_id": "yayin.credits.100",
        "name": "100 credits",
        "credits": "100",
        "price": "4.99",
        "currency": "USD",
        **options,
    }
    arguments = []
    for name, value in values.items():
        if value is not None:
            arguments += [f"--{name.replace('_', '-')}", value]
    out = io.StringIO()
    call_command("credit_package", *arguments, *extra, stdout=out)
    return out.getvalue().strip()


def packages() -> list[tuple]:
    return list(CreditPackage.objects.order_by("product_id").values_list(*FIELDS))


def test_it_creates_a_package():
    output = run()

    assert output == (
        'Credit package yayin.credits.100 created: "100 credits", 100.00 credits for 4.99 USD, '
        "active."
    )
    assert packages() == [
        ("yayin.credits.100", "100 credits", D("100"), D("4.99"), "USD", True),
    ]


def test_it_updates_the_package_with_that_product_id():
    run()
    created = CreditPackage.objects.get()

    output = run("--inactive", name="120 credits", credits="120.50", price="5.49", currency="eur")

    assert output == (
        'Credit package yayin.credits.100 updated: "120 credits", 120.50 credits for 5.49 EUR, '
        "inactive."
    )
    assert CreditPackage.objects.get().pk == created.pk
    assert packages() == [
        ("yayin.credits.100", "120 credits", D("120.50"), D("5.49"), "EUR", False),
    ]


def test_a_second_identical_run_changes_nothing():
    run()
    before = list(CreditPackage.objects.values())

    output = run(currency=" usd ", credits="100.00")

    assert output == (
        'Credit package yayin.credits.100 is already up to date: "100 credits", 100.00 '
        "credits for 4.99 USD, active."
    )
    assert list(CreditPackage.objects.values()) == before


def test_a_run_without_inactive_turns_a_package_back_on():
    run("--inactive")

    output = run()

    assert output.endswith('updated: "100 credits", 100.00 credits for 4.99 USD, active.')
    assert CreditPackage.objects.get().is_active is True


def test_other_product_ids_are_other_packages():
    run()
    run(product_id="yayin.credits.500", name="500 credits", credits="500", price="19.99")

    assert [row[0] for row in packages()] == ["yayin.credits.100", "yayin.credits.500"]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"credits": "0"}, "--credits: Enter a number of credits above 0 and at most 1,000,000."),
        ({"credits": "-5"}, "--credits: Enter a number of credits above 0 and at most 1,000,000."),
        (
            {"credits": "1000000.01"},
            "--credits: Enter a number of credits above 0 and at most 1,000,000.",
        ),
        ({"credits": "1.234"}, "--credits: Ensure that there are no more than 2 decimal places."),
        ({"credits": "many"}, "--credits: Enter a number."),
        ({"credits": "NaN"}, "--credits: Enter a number."),
        ({"price": "-0.01"}, "--price: Enter a price of 0 or more."),
        ({"price": "4.999"}, "--price: Ensure that there are no more than 2 decimal places."),
        ({"currency": "US"}, "--currency: Enter a three-letter currency code, such as USD."),
        ({"currency": "USDT"}, "--currency: Enter a three-letter currency code, such as USD."),
        ({"currency": "U$D"}, "--currency: Enter a three-letter currency code, such as USD."),
        ({"name": "  "}, "--name: This field is required."),
        ({"product_id": " "}, "--product-id: This field is required."),
        (
            {"name": "x" * 101},
            "--name: Ensure this value has at most 100 characters (it has 101).",
        ),
    ],
)
def test_bad_values_are_refused_with_a_clear_message(options, message):
    run()
    before = list(CreditPackage.objects.values())

    with pytest.raises(CommandError) as refusal:
        run(**options)

    assert str(refusal.value) == message
    assert list(CreditPackage.objects.values()) == before


def test_every_problem_is_named_at_once():
    with pytest.raises(CommandError) as refusal:
        run(credits="0", currency="dollars")

    assert str(refusal.value) == (
        "--credits: Enter a number of credits above 0 and at most 1,000,000. "
        "--currency: Enter a three-letter currency code, such as USD."
    )
    assert not CreditPackage.objects.exists()


@pytest.mark.parametrize("missing", ["product_id", "name", "credits", "price", "currency"])
def test_every_option_but_inactive_is_required(missing):
    with pytest.raises(CommandError, match=f"--{missing.replace('_', '-')}"):
        run(**{missing: None})

    assert not CreditPackage.objects.exists()


def test_a_package_made_here_is_sold_through_the_api(user_client):
    run(product_id="yayin.credits.500", name="500 credits", credits="500", price="19.99")
    run("--inactive", product_id="yayin.credits.old", name="Old", credits="10", price="0")

    response = user_client.get("/api/v1/credit-packages")

    assert response.status_code == 200
    assert [package["productId"] for package in response.json()["data"]] == ["yayin.credits.500"]
