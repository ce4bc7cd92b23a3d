"""Profile photos on an S3-compatible server (moto in server mode), through Django's storage
API: switching to S3 is only settings away."""

import boto3
import pytest
from moto.server import ThreadedMotoServer

from tests.factories import image_upload
from tests.helpers import assert_success

pytestmark = pytest.mark.django_db

BUCKET = "yayin-test-media"
CREDENTIALS = {"access_key": "testing", "secret_key": "testing", "region_name": "us-east-1"}


@pytest.fixture
def s3_endpoint(monkeypatch):
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3_client(s3_endpoint):
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    )
    client.create_bucket(Bucket=BUCKET)
    return client


@pytest.fixture
def s3_storage(settings, s3_endpoint, s3_client):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "endpoint_url": s3_endpoint,
                "querystring_auth": False,
                "file_overwrite": False,
                "default_acl": None,
                **CREDENTIALS,
            },
        },
    }
    return s3_client


def bucket_keys(client) -> set[str]:
    listing = client.list_objects_v2(Bucket=BUCKET)
    return {item["Key"] for item in listing.get("Contents", [])}


def test_photos_are_stored_in_the_bucket_with_absolute_urls(
    user_client, user, s3_storage, s3_endpoint, django_capture_on_commit_callbacks
):
    data = assert_success(
        user_client.post(
            "/api/v1/file/profile-photo", {"file": image_upload()}, format="multipart"
        ),
        201,
    )

    user.refresh_from_db()
    photo = user.profile_photo
    names = {
        photo.original.name,
        photo.variant_40.name,
        photo.variant_76.name,
        photo.variant_96.name,
    }
    assert bucket_keys(s3_storage) == names
    assert data["url"] == f"{s3_endpoint}/{BUCKET}/{photo.original.name}"
    assert data["variants"]["96"] == f"{s3_endpoint}/{BUCKET}/{photo.variant_96.name}"
    body = s3_storage.get_object(Bucket=BUCKET, Key=photo.variant_40.name)["Body"].read()
    assert body[:4] == b"RIFF"
    assert body[8:12] == b"WEBP"

    with django_capture_on_commit_callbacks(execute=True):
        assert_success(
            user_client.patch(
                "/api/v1/users/profile/photo", {"file": image_upload(fmt="PNG")}, format="multipart"
            )
        )

    user.refresh_from_db()
    new = user.profile_photo
    assert bucket_keys(s3_storage) == {
        new.original.name,
        new.variant_40.name,
        new.variant_76.name,
        new.variant_96.name,
    }
