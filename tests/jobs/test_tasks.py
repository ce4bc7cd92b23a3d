"""Tasks run after the commit, once, and retry what a later attempt can get past (contract
section 13). Under pytest they run eagerly, in this process, as they do without a broker."""

import logging
import subprocess
import sys
from datetime import timedelta

import pytest
from django.db import OperationalError, transaction
from django.utils import timezone

from config.celery import app
from config.tasks import enqueue
from livestreams.models import LiveStream, LiveStreamStatus
from livestreams.tasks import housekeeping
from tests.livestreams.factories import LiveStreamFactory

# What the test task below records: the `retries` of each attempt.
attempts: list[int] = []


@app.task(bind=True)
def flaky(self, *, failures: int, error: str = "operational"):
    """Fails its first `failures` attempts, then answers "done"."""
    attempts.append(self.request.retries)
    if len(attempts) <= failures:
        if error == "operational":
            raise OperationalError("server closed the connection unexpectedly")
        raise ValueError("a bug")
    return "done"


@pytest.fixture(autouse=True)
def _no_attempts_yet():
    attempts.clear()


def no_show() -> LiveStream:
    """A stream whose planned start is past the grace: housekeeping expires it."""
    return LiveStreamFactory(planned_start_date=timezone.now() - timedelta(hours=2))


def enqueue_in_a_block_that_fails(task, **kwargs) -> None:
    """An atomic block (a request, a savepoint) that enqueues `task`, then fails."""
    with transaction.atomic():
        enqueue(task, **kwargs)
        raise RuntimeError("the block fails after enqueueing")


def housekeeping_lines(caplog) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.name == "livestreams.tasks" and record.levelno == logging.INFO
    ]


# --- enqueue: after the commit, and only then --------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_task_enqueued_in_a_transaction_that_rolls_back_never_runs(caplog):
    caplog.set_level(logging.INFO, logger="livestreams.tasks")
    stream = no_show()

    with pytest.raises(RuntimeError):
        enqueue_in_a_block_that_fails(housekeeping)

    stream.refresh_from_db()
    assert stream.status == LiveStreamStatus.SCHEDULED
    assert housekeeping_lines(caplog) == []


@pytest.mark.django_db(transaction=True)
def test_a_task_enqueued_in_a_transaction_that_commits_runs_once_after_the_commit(caplog):
    caplog.set_level(logging.INFO, logger="livestreams.tasks")
    stream = no_show()

    with transaction.atomic():
        enqueue(housekeeping)
        stream.refresh_from_db()
        assert stream.status == LiveStreamStatus.SCHEDULED  # not before the commit

    stream.refresh_from_db()
    assert stream.status == LiveStreamStatus.EXPIRED
    assert housekeeping_lines(caplog) == [
        "housekeeping: prepared 0, expired 1 and ended 0 live streams"
    ]


@pytest.mark.django_db(transaction=True)
def test_a_task_enqueued_in_a_rolled_back_savepoint_never_runs_though_the_outer_commits():
    with transaction.atomic():
        with pytest.raises(RuntimeError):
            enqueue_in_a_block_that_fails(flaky, failures=0)
        enqueue(flaky, failures=0)

    assert attempts == [0]


@pytest.mark.django_db(transaction=True)
def test_a_task_enqueued_outside_a_transaction_runs_at_once():
    enqueue(flaky, failures=0)

    assert attempts == [0]


def test_with_the_broker_unreachable_enqueue_logs_and_the_caller_carries_on():
    """In a process of its own, whose broker is a closed port (not eager)."""
    script = (
        "import django; django.setup()\n"
        "from config.tasks import enqueue\n"
        "from livestreams.tasks import housekeeping\n"
        "enqueue(housekeeping)\n"
        "print('the caller carried on')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        env={
            "PATH": "/usr/bin:/bin",
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "YAYIN_TESTING": "true",
            "DATABASE_URL": "sqlite://:memory:",
            "CELERY_BROKER_URL": "redis://127.0.0.1:1/0",
            "CELERY_TASK_ALWAYS_EAGER": "false",
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout == "the caller carried on\n"
    assert (
        "task livestreams.tasks.housekeeping not enqueued: the broker is unreachable"
        in result.stderr
    )


# --- Retries -----------------------------------------------------------------------------


def test_a_transient_error_is_retried_and_the_task_then_succeeds():
    result = flaky.delay(failures=1)

    assert attempts == [0, 1]  # eagerly, the retry runs at once, without the back-off wait
    assert result.successful()
    assert result.get() == "done"


def test_a_task_that_keeps_failing_gives_up_after_its_retries_with_the_last_error():
    with pytest.raises(OperationalError, match="server closed the connection"):
        flaky.delay(failures=100)

    assert attempts == list(range(flaky.max_retries + 1))
    assert flaky.max_retries == 8


@pytest.fixture
def development_server():
    """Eager tasks as `make run` has them: a failing task is logged, not raised."""
    propagates = app.conf.task_eager_propagates
    app.conf.task_eager_propagates = False
    yield
    app.conf.task_eager_propagates = propagates


@pytest.mark.usefixtures("development_server")
def test_without_propagation_a_task_still_retries_and_its_final_error_is_only_logged(caplog):
    assert flaky.delay(failures=1).get() == "done"
    assert attempts == [0, 1]
    attempts.clear()

    result = flaky.delay(failures=100)

    assert result.failed()
    assert isinstance(result.result, OperationalError)
    assert attempts == list(range(flaky.max_retries + 1))
    assert [record.levelname for record in caplog.records if record.name == "celery.app.trace"][
        -1
    ] == "ERROR"


def test_a_bug_is_not_retried():
    with pytest.raises(ValueError, match="a bug"):
        flaky.delay(failures=1, error="bug")

    assert attempts == [0]


def test_every_task_retries_with_exponential_back_off_and_jitter():
    for task in (housekeeping, flaky):
        assert OperationalError in task.autoretry_for
        assert task.retry_backoff is True
        assert task.retry_jitter is True
        assert task.retry_backoff_max == 300
        assert task.acks_late is True
        assert task.reject_on_worker_lost is True


# --- Housekeeping ------------------------------------------------------------------------


@pytest.mark.django_db
def test_housekeeping_applies_what_time_made_due_and_logs_the_counts(caplog):
    caplog.set_level(logging.INFO, logger="livestreams.tasks")
    now = timezone.now()
    expired = no_show()
    ended = LiveStreamFactory(
        active=True,
        planned_start_date=now - timedelta(hours=3),
        planned_end_date=now - timedelta(hours=2),
    )
    prepared = LiveStreamFactory(planned_start_date=now - timedelta(minutes=1))
    untouched = LiveStreamFactory()

    housekeeping.delay()

    statuses = dict(LiveStream.objects.values_list("pk", "status"))
    assert statuses == {
        expired.pk: LiveStreamStatus.EXPIRED,
        ended.pk: LiveStreamStatus.ENDED,
        prepared.pk: LiveStreamStatus.PREPARING,
        untouched.pk: LiveStreamStatus.SCHEDULED,
    }
    assert housekeeping_lines(caplog) == [
        "housekeeping: prepared 1, expired 1 and ended 1 live streams"
    ]


@pytest.mark.django_db
def test_housekeeping_run_twice_changes_nothing_the_second_time(caplog):
    caplog.set_level(logging.INFO, logger="livestreams.tasks")
    stream = no_show()
    housekeeping.delay()
    stream.refresh_from_db()
    first = (stream.status, stream.updated_at)

    housekeeping.delay()

    stream.refresh_from_db()
    assert (stream.status, stream.updated_at) == first
    assert housekeeping_lines(caplog)[-1] == (
        "housekeeping: prepared 0, expired 0 and ended 0 live streams"
    )
