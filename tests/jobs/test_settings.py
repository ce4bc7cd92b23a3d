"""The Celery settings (contract section 13): the broker is Redis, tasks run eagerly without
one and under pytest, and beat runs housekeeping every minute."""

import runpy
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

import config
from config.celery import app
from config.checks import check_celery_broker
from config.tasks import Task

SETTINGS_FILE = Path(config.__file__).with_name("settings.py")
VARIABLES = (
    "CELERY_BROKER_URL",
    "CELERY_TASK_ALWAYS_EAGER",
    "REDIS_URL",
    "YAYIN_TESTING",
    "DJANGO_DEBUG",
)


@pytest.fixture
def settings_with(monkeypatch):
    """`settings_with(REDIS_URL=...)`: the settings module as it reads that environment
    (a fresh copy: Django's own settings are left alone)."""

    def load(**environ):
        for name in VARIABLES:
            monkeypatch.delenv(name, raising=False)
        for name, value in environ.items():
            monkeypatch.setenv(name, value)
        return runpy.run_path(str(SETTINGS_FILE))

    return load


# In production: DEBUG or not, outside pytest.
PRODUCTION_LIKE = {"YAYIN_TESTING": "false", "DJANGO_DEBUG": "true"}


def test_the_broker_is_redis_url_by_default(settings_with):
    loaded = settings_with(REDIS_URL="redis://cache:6379/0", **PRODUCTION_LIKE)

    assert loaded["CELERY_BROKER_URL"] == "redis://cache:6379/0"
    assert loaded["CELERY_TASK_ALWAYS_EAGER"] is False


def test_celery_broker_url_wins_over_redis_url(settings_with):
    loaded = settings_with(
        REDIS_URL="redis://cache:6379/0",
        CELERY_BROKER_URL="redis://queue:6379/1",
        **PRODUCTION_LIKE,
    )

    assert loaded["CELERY_BROKER_URL"] == "redis://queue:6379/1"
    assert loaded["CELERY_TASK_ALWAYS_EAGER"] is False


def test_without_a_broker_tasks_run_eagerly(settings_with):
    loaded = settings_with(**PRODUCTION_LIKE)

    assert loaded["CELERY_TASK_ALWAYS_EAGER"] is True
    # Never reached; it keeps Celery from looking for RabbitMQ on localhost.
    assert loaded["CELERY_BROKER_URL"] == "memory://"
    assert loaded["CELERY_TASK_EAGER_PROPAGATES"] is False  # a failing task is logged


def test_an_empty_celery_broker_url_runs_tasks_eagerly_even_with_redis(settings_with):
    loaded = settings_with(
        REDIS_URL="redis://cache:6379/0", CELERY_BROKER_URL="", **PRODUCTION_LIKE
    )

    assert loaded["CELERY_TASK_ALWAYS_EAGER"] is True


def test_under_pytest_tasks_run_eagerly_even_with_a_broker(settings_with):
    loaded = settings_with(REDIS_URL="redis://cache:6379/0")

    assert loaded["CELERY_BROKER_URL"] == "redis://cache:6379/0"
    assert loaded["CELERY_TASK_ALWAYS_EAGER"] is True
    assert loaded["CELERY_TASK_EAGER_PROPAGATES"] is True


def test_a_test_may_ask_for_a_real_broker(settings_with):
    loaded = settings_with(REDIS_URL="redis://cache:6379/0", CELERY_TASK_ALWAYS_EAGER="false")

    assert loaded["CELERY_TASK_ALWAYS_EAGER"] is False


def test_not_eager_without_a_broker_fails_loudly(settings_with):
    with pytest.raises(ImproperlyConfigured, match="needs CELERY_BROKER_URL"):
        settings_with(CELERY_TASK_ALWAYS_EAGER="false", **PRODUCTION_LIKE)


def test_the_app_is_configured_from_django_settings():
    conf = app.conf

    assert app.main == "yayin"
    assert conf.task_always_eager is True  # this test run
    assert conf.task_serializer == "json"
    assert conf.accept_content == ["json"]
    assert conf.task_ignore_result is True
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    assert (conf.task_soft_time_limit, conf.task_time_limit) == (240, 300)
    assert conf.timezone == "UTC"
    assert isinstance(app.Task(), Task)


def test_the_visibility_timeout_outlasts_the_longest_task_and_retry_wait():
    visibility_timeout = app.conf.broker_transport_options["visibility_timeout"]

    assert visibility_timeout > app.conf.task_time_limit + Task.retry_backoff_max
    assert visibility_timeout == 3600


def test_beat_runs_housekeeping_every_minute():
    # What `celery -A config worker` and `beat` do at start: import every app's tasks.py.
    app.loader.import_default_modules()

    assert app.conf.beat_schedule == {
        "live-stream-housekeeping": {
            "task": "livestreams.tasks.housekeeping",
            "schedule": timedelta(minutes=1),
            "options": {"expires": 55},
        },
    }
    for entry in app.conf.beat_schedule.values():
        assert entry["task"] in app.tasks
        # A run still waiting when the next is due is dropped, never stacked up.
        assert entry["options"]["expires"] < entry["schedule"].total_seconds()


def test_the_housekeeping_task_stops_before_the_next_run_is_due():
    app.loader.import_default_modules()
    housekeeping = app.tasks["livestreams.tasks.housekeeping"]

    assert housekeeping.soft_time_limit < housekeeping.time_limit <= 60


def test_deploy_check_warns_when_tasks_run_inside_requests(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    assert [warning.id for warning in check_celery_broker(None)] == ["yayin.W007"]

    settings.CELERY_TASK_ALWAYS_EAGER = False
    assert check_celery_broker(None) == []
