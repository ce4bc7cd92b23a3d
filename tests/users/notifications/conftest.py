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


_MISSING = object()


@pytest.fixture
def turkish():
    """`turkish({english: turkish})`: these Turkish translations for one test.

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
