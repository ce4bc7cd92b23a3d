"""Push: every notification also goes to its recipient's devices (contract section 10).

`settings.PUSH_BACKEND` names the backend: `ConsolePushBackend` (the log; development),
`LocMemPushBackend` (the `outbox` below; tests) or `WebhookPushBackend` (a push relay that
talks to APNs, FCM and web push; the default when `PUSH_WEBHOOK_URL` is set).

The relay protocol (ours). One POST per platform and message, at most
`MAX_TOKENS_PER_REQUEST` tokens each, JSON:

    {"tokens": ["..."], "platform": "ios", "title": "...", "body": "...",
     "data": {"category": "follows", "followerId": "..."}}

with `Authorization: Bearer <PUSH_WEBHOOK_TOKEN>` when that is set. A 2xx answer is a
delivery; its body may name the tokens the provider refused for good (unregistered, expired):
`{"invalidTokens": ["..."]}`; those are dropped from their devices. A 5xx or 429 answer and a
network error are retried by the task (`PushRelayUnavailable` is a transient error); any
other answer, a redirect included (never followed), is a refusal that retrying cannot fix:
logged, and the notification counts as pushed.

`data` is the notification's category and metadata (camelCase), the same for every
recipient of one event, so a fan-out batch becomes a handful of requests, not one per person.
"""

import json
import logging
from collections import defaultdict

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from config.api.camel import camelize
from config.webhooks import post_json_answer
from users.notifications.models import DeviceToken, Notification

logger = logging.getLogger(__name__)

# FCM's multicast limit; APNs and web push take one token per request anyway.
MAX_TOKENS_PER_REQUEST = 500
# A relay's answer is a short JSON object; more than this is not read.
MAX_ANSWER_BYTES = 1024 * 1024

# What LocMemPushBackend "sent", for tests: [{"tokens", "platform", "title", "body", "data"}].
outbox: list[dict] = []
# Tokens LocMemPushBackend answers as invalid (tests fill it).
locmem_invalid_tokens: set[str] = set()


class PushRelayUnavailable(ConnectionError):
    """The relay could not take the push now (5xx, 429, a network error): retried."""


class PushRelayRefused(Exception):
    """The relay refused the push in a way no retry changes (4xx, a redirect)."""


class BasePushBackend:
    def send(
        self, *, tokens: list[str], platform: str, title: str, body: str, data: dict
    ) -> list[str]:
        """Deliver one message to `tokens`; return those the provider called invalid."""
        raise NotImplementedError


class ConsolePushBackend(BasePushBackend):
    def send(self, *, tokens, platform, title, body, data) -> list[str]:
        logger.info("push to %d %s device(s): %s: %s %s", len(tokens), platform, title, body, data)
        return []


class LocMemPushBackend(BasePushBackend):
    def send(self, *, tokens, platform, title, body, data) -> list[str]:
        outbox.append(
            {"tokens": tokens, "platform": platform, "title": title, "body": body, "data": data}
        )
        return [token for token in tokens if token in locmem_invalid_tokens]


def invalid_tokens_of(answer: bytes, tokens: list[str]) -> list[str]:
    """The `invalidTokens` of a relay's answer that were in this request; anything else in
    the body (nothing, not JSON, another shape) means none."""
    try:
        named = json.loads(answer or b"{}").get("invalidTokens") or []
    except (ValueError, AttributeError):
        return []
    if not isinstance(named, list):
        return []
    sent = set(tokens)
    return [token for token in named if isinstance(token, str) and token in sent]


class WebhookPushBackend(BasePushBackend):
    def send(self, *, tokens, platform, title, body, data) -> list[str]:
        if not settings.PUSH_WEBHOOK_URL:
            raise RuntimeError("PUSH_WEBHOOK_URL is not set")
        headers = {}
        if settings.PUSH_WEBHOOK_TOKEN:
            headers["Authorization"] = f"Bearer {settings.PUSH_WEBHOOK_TOKEN}"
        payload = {"tokens": tokens, "platform": platform, "title": title, "body": body}
        try:
            status, answer = post_json_answer(
                settings.PUSH_WEBHOOK_URL,
                {**payload, "data": data},
                headers=headers,
                timeout=settings.PUSH_WEBHOOK_TIMEOUT,
                max_bytes=MAX_ANSWER_BYTES,
            )
        except OSError as error:  # refused, reset, timed out, no route: try again later
            raise PushRelayUnavailable(f"push relay unreachable: {error}") from error
        if 200 <= status < 300:
            return invalid_tokens_of(answer, tokens)
        if status >= 500 or status == 429:
            raise PushRelayUnavailable(f"push relay answered {status}")
        raise PushRelayRefused(f"push relay answered {status}")


def get_push_backend() -> BasePushBackend:
    return import_string(settings.PUSH_BACKEND)()


def push_data(*, category: str, metadata: dict) -> dict:
    return {**camelize(metadata or {}), "category": category}


def _chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def deliver(*, key: str, user_ids: list[str]) -> dict:
    """Push the notifications of event `key` to these recipients that are not pushed yet,
    to their devices, grouped per platform and message; drop the tokens the relay calls
    invalid; mark them pushed. Returns counts for the task's log line.

    Three queries and the relay's requests, whatever the number of notifications. A relay
    that fails midway (retried by the task) gets the whole set again: push is delivered at
    least once, never lost.
    """
    rows = list(
        Notification.objects.filter(
            key=key, user_id__in=user_ids, pushed_at__isnull=True
        ).values_list("pk", "user_id", "category", "title", "message", "metadata")
    )
    if not rows:
        return {"notifications": 0, "requests": 0, "dropped": 0}
    devices = defaultdict(list)
    for user_id, platform, token in DeviceToken.objects.filter(
        user_id__in={row[1] for row in rows}, token__isnull=False
    ).values_list("user_id", "platform", "token"):
        devices[user_id].append((platform, token))

    groups = defaultdict(list)  # (platform, title, body, data as JSON) -> tokens
    for _pk, user_id, category, title, message, metadata in rows:
        data = json.dumps(push_data(category=category, metadata=metadata), sort_keys=True)
        for platform, token in devices[user_id]:
            groups[(platform, title, message, data)].append(token)

    backend = get_push_backend()
    requests = dropped = 0
    for (platform, title, body, data), tokens in groups.items():
        for chunk in _chunks(sorted(tokens), MAX_TOKENS_PER_REQUEST):
            requests += 1
            try:
                invalid = backend.send(
                    tokens=chunk, platform=platform, title=title, body=body, data=json.loads(data)
                )
            except PushRelayRefused:
                logger.exception("push of %d %s token(s) refused", len(chunk), platform)
                continue
            if invalid:
                dropped += DeviceToken.objects.filter(token__in=invalid).update(
                    token=None, updated_at=timezone.now()
                )
    Notification.objects.filter(pk__in=[row[0] for row in rows], pushed_at__isnull=True).update(
        pushed_at=timezone.now()
    )
    return {"notifications": len(rows), "requests": requests, "dropped": dropped}
