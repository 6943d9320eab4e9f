import pytest


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    """The cast creates 7 users; PBKDF2 at full strength costs ~0.4 s each, per test."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
