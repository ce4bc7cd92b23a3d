import pytest

from livestreams.models import LiveStreamType
from tests.factories import UserFactory
from tests.livestreams.factories import LiveStreamFactory, LiveStreamGuestFactory

AGORA_APP_ID = "970CA35de60c44645bbae8a215061b33"
AGORA_APP_CERTIFICATE = "5CFd2fd1755d40ecb72977518be15d3b"


@pytest.fixture
def agora(settings):
    """Agora credentials configured (the reference app id and certificate)."""
    settings.AGORA_APP_ID = AGORA_APP_ID
    settings.AGORA_APP_CERTIFICATE = AGORA_APP_CERTIFICATE
    settings.AGORA_TOKEN_TTL_SECONDS = 3600
    return settings


@pytest.fixture
def no_agora(settings):
    settings.AGORA_APP_ID = ""
    settings.AGORA_APP_CERTIFICATE = ""
    return settings


@pytest.fixture
def guest(db):
    return UserFactory()


@pytest.fixture
def stream(user):
    """A scheduled solo stream created by `user`."""
    return LiveStreamFactory(creator=user)


@pytest.fixture
def duo_stream(user, guest):
    """A scheduled duo stream of `user` with `guest` invited."""
    live_stream = LiveStreamFactory(creator=user, live_stream_type=LiveStreamType.DUOSELF)
    LiveStreamGuestFactory(live_stream=live_stream, user=guest)
    return live_stream
