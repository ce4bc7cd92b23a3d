"""Consent records are append-only; one current document per type and language."""

import pytest
from django.db import IntegrityError, transaction

from consents.models import ConsentRecord, ConsentRecordImmutable, LegalDocument
from tests.consents.factories import ConsentRecordFactory, publish

pytestmark = pytest.mark.django_db


@pytest.fixture
def record(user):
    return ConsentRecordFactory(user=user)


def snapshot():
    return list(ConsentRecord.objects.order_by("id").values())


def test_a_saved_record_cannot_be_saved_again(record):
    before = snapshot()
    record.is_accepted = False

    with pytest.raises(ConsentRecordImmutable):
        record.save()

    assert snapshot() == before


def test_a_record_cannot_be_deleted(record):
    with pytest.raises(ConsentRecordImmutable):
        record.delete()

    assert ConsentRecord.objects.filter(pk=record.pk).exists()


def test_a_fetched_record_cannot_be_saved(record):
    fetched = ConsentRecord.objects.get(pk=record.pk)

    with pytest.raises(ConsentRecordImmutable):
        fetched.save(update_fields=["is_accepted"])


def test_a_new_record_with_an_existing_id_does_not_overwrite(record):
    before = snapshot()
    twin = ConsentRecord(
        id=record.id,
        user=record.user,
        document_type="terms_of_use",
        document_version="9",
        is_accepted=False,
    )

    with pytest.raises(IntegrityError), transaction.atomic():
        twin.save()

    assert snapshot() == before


@pytest.mark.parametrize(
    "change",
    [
        lambda records: records.update(is_accepted=False),
        lambda records: records.delete(),
        lambda records: records.bulk_update(list(records), ["is_accepted"]),
        lambda records: records.update_or_create(id="x", defaults={"is_accepted": False}),
    ],
    ids=["update", "delete", "bulk_update", "update_or_create"],
)
def test_querysets_refuse_bulk_changes(record, change):
    before = snapshot()

    with pytest.raises(ConsentRecordImmutable):
        change(ConsentRecord.objects.all())
    with pytest.raises(ConsentRecordImmutable):
        change(ConsentRecord.objects.filter(pk=record.pk))

    assert snapshot() == before


def test_a_user_with_records_cannot_be_deleted(record, user):
    with pytest.raises(IntegrityError), transaction.atomic():
        user.delete()

    assert ConsentRecord.objects.filter(pk=record.pk).exists()


def test_the_database_holds_one_current_version_per_type_and_language(db):
    current = publish("privacy_policy", "1.0.0", "en")
    other = publish("privacy_policy", "1.0.0", "tr")
    older = publish("privacy_policy", "0.9.0", "en")  # now current in en
    assert set(LegalDocument.objects.filter(is_current=True)) == {other, older}

    with pytest.raises(IntegrityError), transaction.atomic():
        LegalDocument.objects.filter(pk=current.pk).update(is_current=True)


def test_the_database_refuses_a_second_row_for_one_version(db):
    document = publish("privacy_policy", "1.0.0", "en")

    with pytest.raises(IntegrityError), transaction.atomic():
        LegalDocument.objects.create(
            document_type=document.document_type,
            version=document.version,
            language=document.language,
            title="Twin",
            body_html="<p>x</p>",
        )


def test_string_forms(record):
    document = publish("privacy_policy", "1.0.0", "en")

    assert str(document) == "Privacy policy 1.0.0 (en)"
    assert str(record) == f"{record.user_id} accepted privacy_policy 1.0.0"
