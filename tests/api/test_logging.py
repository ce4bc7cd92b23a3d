"""Expected refusals are logged once at WARNING; real crashes stay ERROR with a traceback."""

import logging

import pytest
from django.urls import path
from rest_framework.test import APIClient
from rest_framework.views import APIView

from livestreams.models import LiveStream, LiveStreamStatus
from tests.helpers import assert_error
from tests.livestreams.factories import LiveStreamFactory

pytestmark = pytest.mark.django_db

JOIN_AS_CREATOR = "/api/v1/live-stream/join-as-creator"


class CrashView(APIView):
    authentication_classes = []
    permission_classes = []

    def get(self, request):
        raise RuntimeError("a real bug")


urlpatterns = [path("crash", CrashView.as_view())]
handler500 = "config.api.views.server_error"  # as in config/urls.py


@pytest.fixture(autouse=True)
def _capture_everything(caplog):
    caplog.set_level(logging.DEBUG)


@pytest.mark.parametrize("language", ["en", "tr"])
def test_a_join_without_agora_settings_is_logged_once_at_warning(
    settings, user, user_client, caplog, language
):
    settings.AGORA_APP_ID = ""
    settings.AGORA_APP_CERTIFICATE = ""
    stream = LiveStreamFactory(creator=user)
    caplog.clear()

    messages = assert_error(
        user_client.post(
            JOIN_AS_CREATOR, {"liveStreamId": stream.pk}, format="json", HTTP_X_LANGUAGE=language
        ),
        503,
    )

    assert len(messages) == 1
    records = caplog.records
    assert [(record.name, record.levelname) for record in records] == [
        ("config.api.exceptions", "WARNING")
    ]
    assert records[0].getMessage() == (
        f"Service Unavailable: {JOIN_AS_CREATOR} (Live video is not configured)"
    )
    assert records[0].exc_info is None
    assert records[0].status_code == 503
    assert LiveStream.objects.get().status == LiveStreamStatus.SCHEDULED


def test_a_4xx_refusal_is_never_an_error(user_client, caplog):
    assert_error(user_client.post(JOIN_AS_CREATOR, {}, format="json"), 400)

    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]


@pytest.mark.urls("tests.api.test_logging")
def test_a_crash_stays_an_error_with_its_traceback(caplog):
    response = APIClient(raise_request_exception=False).get("/crash")

    assert_error(response, 500, ["Internal server error"])
    errors = [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert [(record.name, record.levelname) for record in errors] == [("django.request", "ERROR")]
    assert errors[0].exc_info[0] is RuntimeError
