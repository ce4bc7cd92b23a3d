"""Racing consent decisions of one user keep the user's privacy flags on the newest record."""

import threading

import pytest
from django.db import connection

from consents.models import ConsentRecord
from consents.services import consent_record_create
from tests.consents.factories import publish

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_the_flags_follow_the_newest_of_racing_decisions(user):
    publish("privacy_policy", "1.0.0", "en")
    decisions = [True, False] * 4
    barrier = threading.Barrier(len(decisions))
    failures = []

    def decide(is_accepted):
        try:
            barrier.wait()
            consent_record_create(
                user=user,
                document_type="privacy_policy",
                document_version="1.0.0",
                is_accepted=is_accepted,
            )
        except Exception as error:  # collected and asserted below
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=decide, args=(decision,)) for decision in decisions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    assert ConsentRecord.objects.count() == len(decisions)
    newest = ConsentRecord.objects.newest_first().first()
    user.refresh_from_db()
    expected = (True, "1.0.0") if newest.is_accepted else (False, None)
    assert (user.privacy_policy_accepted, user.privacy_policy_version) == expected
