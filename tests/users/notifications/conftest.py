import pytest

from users.notifications import push

NOTIFICATION_KEYS = [
    "id",
    "userId",
    "type",
    "category",
    "title",
    "message",
    "metadata",
    "read",
    "createdAt",
    "updatedAt",
]


@pytest.fixture(autouse=True)
def _empty_push_outbox():
    """What LocMemPushBackend "sent" starts empty in every test."""
    push.outbox.clear()
    push.locmem_invalid_tokens.clear()
    yield
    push.outbox.clear()
    push.locmem_invalid_tokens.clear()


@pytest.fixture
def after_commit(django_capture_on_commit_callbacks):
    """`with after_commit():` runs what the block enqueued (tasks run eagerly under pytest)
    as the commit of a real request would."""

    def run():
        return django_capture_on_commit_callbacks(execute=True)

    return run
