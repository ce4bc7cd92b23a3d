"""The background tasks of notifications (contract sections 10 and 13): the fan-out to an
audience in batches, and push. Both are idempotent: a batch that runs again inserts nothing
new (the `(user, key)` constraint), and push sends only what is not pushed yet."""

import logging

from config.celery import app
from users.notifications import push as push_backends
from users.notifications import services

logger = logging.getLogger(__name__)


@app.task
def fan_out(*, spec: dict, stage: int = 0, after: str = "") -> None:
    """Write one batch of `spec` (`services.fan_out_batch`), then start the next batch as a
    task of its own: a large audience is many short tasks that any worker can take, never
    one long one."""
    batch = services.fan_out_batch(spec=spec, stage=stage, after=after)
    logger.info(
        "fan-out %s: stage %d after %r: %d recipient(s)%s",
        spec["key"],
        stage,
        after,
        batch.written,
        "" if batch.next is None else ", more to come",
    )
    if batch.next is not None:
        # Sent now, not after a commit (a task runs in autocommit): with the broker down
        # this raises, and the task is retried, rather than the rest of the audience lost.
        next_stage, next_after = batch.next
        fan_out.delay(spec=spec, stage=next_stage, after=next_after)


@app.task
def push(*, key: str, user_ids: list[str]) -> None:
    """Push the notifications of event `key` to these recipients' devices
    (`push.deliver`)."""
    counts = push_backends.deliver(key=key, user_ids=user_ids)
    logger.info(
        "push %s: %d notification(s) in %d request(s), %d invalid token(s) dropped",
        key,
        counts["notifications"],
        counts["requests"],
        counts["dropped"],
    )
