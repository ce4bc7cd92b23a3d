"""What every background task shares (contract section 13): the base class with its retry
rules, and `enqueue`, the one way the rest of the code starts a task.

A task is written so that running it twice changes nothing the second time: the broker
acknowledges a message only once the task has finished (`task_acks_late`), so a worker that
dies midway, a deploy, or a retry after a lost connection runs it again. Each task logs one
info line saying what it did.

    from config.tasks import enqueue
    from livestreams.tasks import housekeeping

    with transaction.atomic():
        ...  # the writes the task depends on
        enqueue(housekeeping)

Without a broker (`make run`) and under pytest, the task runs in this process right after
the commit (`CELERY_TASK_ALWAYS_EAGER`).
"""

import logging
from functools import partial

import kombu.exceptions
import redis.exceptions
from celery.contrib.django.task import DjangoTask
from django.db import InterfaceError, OperationalError, transaction

logger = logging.getLogger(__name__)

# Failures that a later attempt can get past: the database or Redis restarting or failing
# over, a dropped connection, a deadlock or serialization failure (both OperationalError),
# the broker briefly gone when a task enqueues another, a network timeout. A bug (any other
# exception) fails at once instead of being retried into the same wall.
TRANSIENT_ERRORS = (
    OperationalError,
    InterfaceError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    kombu.exceptions.OperationalError,
    ConnectionError,
    TimeoutError,
)


class Task(DjangoTask):
    """The base of every task (`config.celery.app` uses it): a transient error is retried up
    to eight times, each wait random below a doubling ceiling (1, 2, 4 ... 128 s: together at
    most about four minutes, long enough for a database fail-over), then the task fails with
    the last error.

    Eagerly (no broker, tests) a retry runs again at once, without the wait."""

    autoretry_for = TRANSIENT_ERRORS
    retry_backoff = True
    retry_backoff_max = 300
    retry_jitter = True
    max_retries = 8

    def apply(self, args=None, kwargs=None, *, throw=None, **options):
        """Run eagerly as a worker would: retries first, then the last error raised (under
        pytest, CELERY_TASK_EAGER_PROPAGATES) or only logged (`make run`).

        Celery's eager mode cannot do both: propagating, it raises autoretry's `Retry` at
        the first failure and never retries. So the run itself never propagates, and the
        outcome is raised here when asked for.
        """
        if throw is None:
            throw = self.app.conf.task_eager_propagates
        result = super().apply(args, kwargs, throw=False, **options)
        if throw and result.failed():
            raise result.result
        return result


def enqueue(task, *args, **kwargs) -> None:
    """Start `task(*args, **kwargs)` once the current transaction commits (at once outside
    one), so no task ever works on writes that roll back.

    Use this, not `task.delay()` (which would send work that may still roll back) nor
    `task.delay_on_commit()` (whose error, with the broker down, would turn a committed
    request into a 500). With the broker unreachable the task is lost and logged; the work
    it stood for must be one that a later run catches up on (housekeeping, a sweep).
    """
    transaction.on_commit(partial(_send, task, args, kwargs))


def _send(task, args: tuple, kwargs: dict) -> None:
    try:
        task.delay(*args, **kwargs)
    except kombu.exceptions.OperationalError:  # the broker, after Celery's own publish retries
        logger.exception("task %s not enqueued: the broker is unreachable", task.name)
