"""Connecting: the token in the auth payload or the Authorization header, checked as REST
checks it; no token is an anonymous socket (contract section 9)."""

import json
from datetime import timedelta

import pytest
import requests
import socketio
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from rest_framework_simplejwt.tokens import AccessToken

from livestreams.realtime.actions import TOKEN_INVALID
from livestreams.realtime.events import CHAT_NAMESPACE, LIVE_STREAM_NAMESPACE
from tests.factories import UserFactory
from tests.livestreams.factories import LiveStreamFactory
from tests.livestreams.realtime.conftest import token_of
from users.authentication import SESSION_ENDED, SESSION_VERSION_CLAIM
from users.models import User
from users.sessions import session_logout_all

pytestmark = pytest.mark.django_db(transaction=True)

BOTH = (LIVE_STREAM_NAMESPACE, CHAT_NAMESPACE)


def expired_token(user) -> str:
    token = AccessToken.for_user(user)
    token[SESSION_VERSION_CLAIM] = user.session_version
    token.set_exp(from_time=timezone.now() - timedelta(hours=2), lifetime=timedelta(hours=1))
    return str(token)


def assert_refused(client, *, namespaces=BOTH, error: str | None = None, **connect):
    with pytest.raises(socketio.exceptions.ConnectionError):
        client.connect(namespaces=namespaces, **connect)
    assert sorted(client.connect_errors) == sorted(namespaces)
    for namespace in namespaces:
        refusal = client.connect_errors[namespace]
        assert set(refusal) == {"message", "data"}
        assert refusal["data"] == {"statusCode": 401, "error": refusal["message"]}
        if error is not None:
            assert refusal["message"] == error
    return client.connect_errors


def test_a_good_token_in_the_auth_payload_connects_both_namespaces(sockets):
    client = sockets().connect(namespaces=BOTH, auth={"token": token_of(UserFactory())})

    assert client.connected_namespaces == sorted(BOTH)
    assert client.connect_errors == {}


def test_the_auth_token_may_carry_the_bearer_prefix(sockets):
    client = sockets().connect(auth={"token": f"Bearer {token_of(UserFactory())}"})

    assert client.connected_namespaces == [LIVE_STREAM_NAMESPACE]


def test_a_good_token_in_the_authorization_header_connects(sockets):
    headers = {"Authorization": f"Bearer {token_of(UserFactory())}"}

    for transports in (("polling",), ("websocket",)):
        client = sockets().connect(namespaces=BOTH, headers=headers, transports=transports)
        assert client.connected_namespaces == sorted(BOTH), transports


def test_no_token_is_an_anonymous_socket(sockets):
    stream = LiveStreamFactory(active=True)

    for auth in (None, {}, {"token": None}, {"token": ""}):
        client = sockets().connect(namespaces=BOTH, auth=auth)
        assert client.connected_namespaces == sorted(BOTH), auth
        assert client.join(stream.pk) == {
            "ok": True,
            "liveStreamId": stream.pk,
            "status": "active",
            "role": None,
            "viewerCount": 0,
        }, auth


def test_a_garbage_token_in_the_auth_payload_is_refused(sockets):
    assert_refused(sockets(), auth={"token": "not-a-jwt"})


def test_a_token_of_the_wrong_type_in_the_auth_payload_is_refused(sockets):
    assert_refused(sockets(), auth={"token": 12345}, error="Token is invalid")


def test_a_garbage_token_in_the_header_is_refused(sockets):
    assert_refused(sockets(), headers={"Authorization": "Bearer not-a-jwt"})


def test_a_bearer_header_without_a_token_is_refused_as_rest_refuses_it(sockets):
    assert_refused(
        sockets(),
        headers={"Authorization": "Bearer"},
        error="Authorization header must contain two space-delimited values",
    )


def test_a_refusal_on_the_wire_over_long_polling(server):
    """What a JavaScript client reads as `err.message` and `err.data` (Engine.IO v4 polling,
    Socket.IO v5 CONNECT_ERROR packet)."""
    base = f"{server.url}/socket.io/?EIO=4&transport=polling"
    headers = {"Authorization": "Bearer not-a-jwt", "X-Language": "tr"}
    opened = requests.get(base, headers=headers, timeout=5)
    sid = json.loads(opened.text[1:])["sid"]  # "0{...}": the Engine.IO OPEN packet

    sent = requests.post(f"{base}&sid={sid}", data="40/live-stream,", headers=headers, timeout=5)
    answer = requests.get(f"{base}&sid={sid}", headers=headers, timeout=5)

    assert sent.text == "OK"
    assert answer.text.startswith("44/live-stream,")
    refusal = json.loads(answer.text.removeprefix("44/live-stream,"))
    with translation.override("tr"):
        message = str(TOKEN_INVALID)
    assert refusal == {"message": message, "data": {"statusCode": 401, "error": message}}


def test_an_expired_token_is_refused_with_the_reason(sockets):
    assert_refused(
        sockets(), auth={"token": expired_token(UserFactory())}, error="Token is expired"
    )


def test_an_expired_token_is_refused_in_the_callers_language(sockets):
    with translation.override("tr"):
        expired = str(_("Token is expired"))
    assert expired != "Token is expired"

    assert_refused(
        sockets(),
        namespaces=(LIVE_STREAM_NAMESPACE,),
        auth={"token": expired_token(UserFactory()), "language": "tr"},
        error=expired,
    )


def test_a_token_of_an_ended_session_is_refused(sockets):
    user = UserFactory()
    token = token_of(user)
    session_logout_all(user=user)

    assert_refused(sockets(), auth={"token": token}, error=str(SESSION_ENDED))


def test_a_token_of_an_inactive_user_is_refused(sockets):
    user = UserFactory()
    token = token_of(user)
    User.objects.filter(pk=user.pk).update(is_active=False)

    assert_refused(sockets(), auth={"token": token}, error="User is inactive")


def test_the_auth_token_wins_over_the_header(sockets):
    """An app may keep a stale header; the payload is what it sets per connection."""
    client = sockets().connect(
        auth={"token": token_of(UserFactory())},
        headers={"Authorization": "Bearer not-a-jwt"},
        transports=("polling",),
    )

    assert client.connected_namespaces == [LIVE_STREAM_NAMESPACE]


def test_a_session_ended_after_connecting_is_refused_at_the_next_event(sockets):
    user = UserFactory()
    stream = LiveStreamFactory(active=True)
    client = sockets().connect(auth={"token": token_of(user)})
    session_logout_all(user=user)

    ack = client.join(stream.pk)

    assert ack == {
        "ok": False,
        "statusCode": 401,
        "error": str(SESSION_ENDED),
        "errors": [str(SESSION_ENDED)],
    }


def test_an_unknown_event_is_answered_404(sockets):
    client = sockets().connect(namespaces=BOTH, auth={"token": token_of(UserFactory())})

    assert client.call("dance", {"liveStreamId": "x"}) == {
        "ok": False,
        "statusCode": 404,
        "error": "Unknown event.",
        "errors": ["Unknown event."],
    }
    # sendMessage exists on the chat namespace only.
    assert client.call("sendMessage", {"liveStreamId": "x"})["statusCode"] == 404


def test_the_default_namespace_is_not_served(sockets):
    client = sockets()
    with pytest.raises(socketio.exceptions.ConnectionError):
        client.connect(namespaces=("/",))
