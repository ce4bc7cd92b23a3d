"""Races around consents: decisions of one user, and a consent during a document correction."""

import threading
import time
from functools import partial

import pytest
from django.db import connection, transaction

from consents import services
from consents.models import ConsentRecord
from consents.services import consent_record_create
from tests.consents.factories import publish
from tests.helpers import failures_of, run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_the_flags_follow_the_newest_of_racing_decisions(user):
    publish("privacy_policy", "1.0.0", "en")
    decisions = [True, False] * 4
    failures = failures_of(
        run_together(
            *(
                partial(
                    consent_record_create,
                    user=user,
                    document_type="privacy_policy",
                    document_version="1.0.0",
                    is_accepted=is_accepted,
                )
                for is_accepted in decisions
            )
        )
    )

    assert failures == []
    assert ConsentRecord.objects.count() == len(decisions)
    newest = ConsentRecord.objects.newest_first().first()
    user.refresh_from_db()
    expected = (True, "1.0.0") if newest.is_accepted else (False, None)
    assert (user.privacy_policy_accepted, user.privacy_policy_version) == expected


def _wait_until(condition, *, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


def _another_backend_waits_on_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0


def test_a_consent_cannot_slip_in_while_the_version_is_being_corrected(user, monkeypatch):
    """The editor has checked that nobody consented and is about to commit new text: a consent
    to that version now waits for the edit, so nobody agrees to text that changes afterwards."""
    document = publish("terms_of_use", "1.0.0", "en")
    editor_checked = threading.Event()
    editor_may_commit = threading.Event()
    consent_done = threading.Event()
    order = []
    failures = []
    real_check = services.legal_document_has_consents

    def check_then_pause(*, document):
        found = real_check(document=document)
        editor_checked.set()
        editor_may_commit.wait(10)
        return found

    monkeypatch.setattr(services, "legal_document_has_consents", check_then_pause)

    def edit():
        try:
            services.legal_document_update(
                document=document, title="Corrected", body_html="<p>New</p>", is_required=True
            )
            order.append("edited")
        except Exception as error:  # collected and asserted below
            failures.append(error)
        finally:
            connection.close()

    def consent():
        try:
            editor_checked.wait(10)
            services.consent_record_create(
                user=user, document_type="terms_of_use", document_version="1.0.0", is_accepted=True
            )
            order.append("consented")
        except Exception as error:  # collected and asserted below
            failures.append(error)
        finally:
            consent_done.set()
            connection.close()

    editor = threading.Thread(target=edit)
    consenter = threading.Thread(target=consent)
    editor.start()
    consenter.start()
    assert editor_checked.wait(10)
    # Let the editor commit once the consent has either gone through (the bug) or is queued
    # behind the editor's lock (the fix).
    assert _wait_until(lambda: consent_done.is_set() or _another_backend_waits_on_a_lock())
    editor_may_commit.set()
    editor.join()
    consenter.join()

    assert failures == []
    assert order == ["edited", "consented"]
    document.refresh_from_db()
    record = ConsentRecord.objects.get()
    assert document.title == "Corrected"
    assert record.consent_date > document.updated_at  # agreed to the corrected text


def test_a_publish_in_one_language_sees_a_racing_consent_in_another(user):
    """A consent to the version current in en, still uncommitted, while a new tr version is
    published: the publish waits for it, so the user's flags count the acceptance."""
    publish("privacy_policy", "1.0.0", "tr")
    publish("privacy_policy", "2.0.0", "en")
    consent_record_create(
        user=user, document_type="privacy_policy", document_version="1.0.0", is_accepted=True
    )
    consent_recorded = threading.Event()
    consent_may_commit = threading.Event()
    failures = []

    def consent():
        try:
            with transaction.atomic():
                consent_record_create(
                    user=user,
                    document_type="privacy_policy",
                    document_version="2.0.0",
                    is_accepted=True,
                )
                consent_recorded.set()
                consent_may_commit.wait(10)
        except Exception as error:  # collected and asserted below
            failures.append(error)
        finally:
            consent_recorded.set()
            connection.close()

    def publish_tr():
        try:
            publish("privacy_policy", "1.1.0", "tr")  # 1.0.0, the held version, goes stale
        except Exception as error:  # collected and asserted below
            failures.append(error)
        finally:
            connection.close()

    consenter = threading.Thread(target=consent)
    consenter.start()
    assert consent_recorded.wait(10)
    publisher = threading.Thread(target=publish_tr)
    publisher.start()
    assert _wait_until(_another_backend_waits_on_a_lock)
    consent_may_commit.set()
    consenter.join()
    publisher.join()

    assert failures == []
    user.refresh_from_db()
    assert (user.privacy_policy_accepted, user.privacy_policy_version) == (True, "2.0.0")
