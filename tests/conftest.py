"""The small cast every test module shares (style.md, rule 10)."""

import pytest
from celery import _state as celery_state
from django.core.cache import cache
from rest_framework.test import APIClient

from tests.factories import StaffFactory, UserFactory
from users.sessions import tokens_for_user


@pytest.fixture(autouse=True)
def _isolate(settings, tmp_path):
    """Files go to a temporary folder and throttle counters start empty in every test.

    Celery's eager runs set a process-wide "inside a task" flag without a lock, so eager
    tasks in several threads at once (the concurrency tests) can leave it set; it is reset
    so that a later `.get()` is not refused as "within a task"."""
    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()
    yield
    cache.clear()
    celery_state._set_task_join_will_block(False)


@pytest.fixture
def api_client():
    return APIClient()


def _client_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens_for_user(user=user)['access_token']}")
    client.user = user
    return client


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def other_user(db):
    return UserFactory()


@pytest.fixture
def staff_user(db):
    return StaffFactory()


@pytest.fixture
def user_client(user):
    return _client_for(user)


@pytest.fixture
def other_client(other_user):
    return _client_for(other_user)


@pytest.fixture
def staff_client(staff_user):
    return _client_for(staff_user)


@pytest.fixture
def client_for():
    """`client_for(some_user)`: an API client signed in as that user."""
    return _client_for


def pytest_collection_modifyitems(config, items):
    """`@pytest.mark.postgres` tests (row locks, real concurrency) run only on PostgreSQL."""
    from django.db import connection

    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL=postgres://...)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


_MISSING = object()


@pytest.fixture
def turkish():
    """`turkish({english: turkish})`: these Turkish translations for one test (notifications).

    The locale catalog gets the notification texts' Turkish from the translators; until it
    has them (and whatever their final wording), a test of "written in the recipient's
    language" adds the ones it reads, so it checks the choice of language, not a wording.
    """
    from django.utils.translation import trans_real

    catalog = trans_real.translation("tr")._catalog._catalogs[0]
    replaced = {}

    def add(messages: dict[str, str]) -> None:
        for english, translated in messages.items():
            replaced.setdefault(english, catalog.get(english, _MISSING))
            catalog[english] = translated

    yield add
    for english, previous in replaced.items():
        if previous is _MISSING:
            catalog.pop(english, None)
        else:
            catalog[english] = previous
