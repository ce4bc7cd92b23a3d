"""A real worker process on Redis runs a task sent through the broker (contract section 13).

PostgreSQL and Redis only: the worker is another process, so it must see the test
database's committed rows (SQLite's test database lives in this process's memory) and take
the message from a real broker. The task goes to a queue of this run's own, so no other
worker on the same Redis takes it and this worker takes nothing else.
"""

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from datetime import timedelta
from urllib.parse import quote

import pytest
import redis
from django.conf import settings
from django.db import connection
from django.utils import timezone

from config.celery import app
from livestreams.models import LiveStream, LiveStreamStatus
from livestreams.tasks import housekeeping
from tests.livestreams.factories import LiveStreamFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

WAIT_SECONDS = 20


@pytest.fixture
def broker_url():
    """The Redis broker, with this process sending to it instead of running tasks eagerly."""
    url = app.conf.broker_url
    if not url.startswith(("redis://", "rediss://")):
        pytest.skip("needs Redis as the broker (set REDIS_URL=redis://...)")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip(f"the Redis broker at {url} does not answer")
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    yield url
    app.conf.task_always_eager = eager


def test_database_url() -> str:
    """The URL of the test database this run made, for the worker."""
    database = connection.settings_dict
    credentials = quote(database["USER"] or "", safe="")
    if database["PASSWORD"]:
        credentials += ":" + quote(database["PASSWORD"], safe="")
    host = f"{database['HOST'] or 'localhost'}:{database['PORT'] or 5432}"
    return f"postgres://{credentials}@{host}/{quote(database['NAME'], safe='')}"


test_database_url.__test__ = False  # a helper, not a test


@contextmanager
def running_worker(*, broker_url: str, queue: str, log_path):
    """`celery -A config worker` on `queue`, stopped with a warm shutdown (SIGTERM) at the
    end; yields the process, whose output goes to `log_path`."""
    environ = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "YAYIN_TESTING": "true",
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "CELERY_BROKER_URL": broker_url,
        "DATABASE_URL": test_database_url(),
    }
    command = [
        sys.executable, "-m", "celery", "-A", "config", "worker",
        "--pool=solo", "--concurrency=1", f"--queues={queue}", f"--hostname={queue}@%h",
        "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel=INFO",
    ]  # fmt: skip
    with open(log_path, "w") as log:
        worker = subprocess.Popen(
            command, cwd=settings.BASE_DIR, env=environ, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        yield worker
    finally:
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(timeout=15)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()


def wait_for(condition, *, worker) -> bool:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline and worker.poll() is None:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def test_a_worker_runs_housekeeping_sent_through_the_broker(broker_url, tmp_path):
    no_show = LiveStreamFactory(planned_start_date=timezone.now() - timedelta(hours=2))
    untouched = LiveStreamFactory()
    queue = f"yayin-test-{uuid.uuid4().hex}"
    log_path = tmp_path / "worker.log"

    housekeeping.apply_async(queue=queue)
    # Sent, not run: the message waits in Redis until a worker takes it.
    assert LiveStream.objects.get(pk=no_show.pk).status == LiveStreamStatus.SCHEDULED

    with running_worker(broker_url=broker_url, queue=queue, log_path=log_path) as worker:
        expired = wait_for(
            lambda: LiveStream.objects.get(pk=no_show.pk).status == LiveStreamStatus.EXPIRED,
            worker=worker,
        )
        assert expired, log_path.read_text()
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=15) == 0, log_path.read_text()

    log = log_path.read_text()
    assert "housekeeping: prepared 0, expired 1 and ended 0 live streams" in log
    assert "Warm shutdown" in log
    assert LiveStream.objects.get(pk=untouched.pk).status == LiveStreamStatus.SCHEDULED
    # The message was acknowledged (late, once done): none is left waiting or unacknowledged.
    broker = redis.Redis.from_url(broker_url)
    assert broker.llen(queue) == 0
    unacknowledged = [json.loads(entry) for entry in broker.hvals("unacked")]
    assert [entry for entry in unacknowledged if queue in entry] == []
