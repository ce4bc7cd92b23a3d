import pytest

from tests.factories import UserFactory


@pytest.fixture
def make_user(db):
    """`make_user(**fields)`: another app user."""
    return UserFactory


@pytest.fixture
def fast_password_hashing(settings):
    """Staff passwords in admin tests: a weak hasher keeps them quick (tests only)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
