"""Test settings: the demo project plus a small test-only app (a library a user might write)."""

from project.settings import *  # noqa: F403
from project.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "tests.testapp", "tests.declarative_app"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# The test runner forces DEBUG off; the suite seeds its own throwaway databases on purpose.
MENTARA_SEED = {"ALLOW_PRODUCTION": True}
