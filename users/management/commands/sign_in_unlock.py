"""`manage.py sign_in_unlock`: lift the limits that hold back one sign-in identity.

The per-number and per-username caps (README, "Sign-in limits") are what stop a distributed
guesser, and anyone can use them up; an operator who has checked who is asking lifts them here:

    manage.py sign_in_unlock --phone +905551234567      # codes sent, wrong codes today
    manage.py sign_in_unlock --email ayse@example.com
    manage.py sign_in_unlock --admin-username admin      # failed admin logins today
"""

import phonenumbers
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from config.api.errors import InvalidInput
from config.api.throttles import RateLimit
from users import otp


class Command(BaseCommand):
    help = "Lift the sign-in limits of one phone number, email address or admin username."

    def add_arguments(self, parser):
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("--phone", help="E.164, e.g. +905551234567")
        target.add_argument("--email")
        target.add_argument("--admin-username")

    def handle(self, *args, phone=None, email=None, admin_username=None, **options):
        if "LocMemCache" in settings.CACHES["default"]["BACKEND"]:
            # Each process counts on its own without Redis: a running server's counters are
            # out of this command's reach.
            self.stderr.write(
                "Warning: REDIS_URL is not set, so the limits live in each server process's "
                "own memory and this command cannot lift them; restart the server instead."
            )
        if admin_username:
            username = admin_username.strip().lower()
            RateLimit("admin_login_username", username).reset()
            self.stdout.write(f"Admin logins of {username!r} are no longer held back.")
            return
        try:
            if phone:
                try:
                    parsed = phonenumbers.parse(phone, None)  # E.164 names its country
                except phonenumbers.NumberParseException as error:
                    raise CommandError("--phone: give the number as +<country><number>.") from error
                destination = otp.phone_destination(
                    country_code=str(parsed.country_code), phone_number=str(parsed.national_number)
                )
            else:
                destination = otp.email_destination(email=email)
        except InvalidInput as error:
            raise CommandError(str(error.message)) from error
        for scope in ("otp_destination", "otp_verify_destination"):
            RateLimit(scope, destination.key).reset()
        self.stdout.write(f"Sign-in codes for {destination.key} are no longer held back.")
