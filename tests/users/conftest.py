import pytest

from tests.factories import UserFactory


@pytest.fixture
def make_user(db):
    """`make_user(**fields)`: another app user."""
    return UserFactory
