"""The password seeded users get: deterministic (``make_password`` salts randomly, which would
make two runs differ) and never a public one where DEBUG is off."""

from __future__ import annotations

import functools

from django.conf import settings
from django.contrib.auth.hashers import (
    UNUSABLE_PASSWORD_PREFIX,
    PBKDF2PasswordHasher,
    get_hasher,
    make_password,
)

from .conf import seed_settings

#: What every seeded user can log in with in development (DEBUG on) unless
#: ``MENTARA_SEED["PASSWORD"]`` says otherwise.
DEMO_PASSWORD = "mentara-demo"
#: A fixed salt keeps the hash the same from run to run; this is test data, not a secret.
SALT = "mentaraseed"
#: An unusable password (Django's "!" prefix), fixed so that runs stay deterministic.
UNUSABLE_PASSWORD = f"{UNUSABLE_PASSWORD_PREFIX}mentara-seed-no-login"


def seeded_password() -> str:
    """The value for a seeded user's ``password`` field.

    ``MENTARA_SEED["PASSWORD"]`` when set, hashed; otherwise, with DEBUG on, the shared demo
    password ``mentara-demo`` (hashed once per process: hashing is slow on purpose); with DEBUG
    off (a run given ``--allow-production``), an unusable password, so no seeded account can log
    in with a password printed in a README.
    """
    configured = seed_settings.password
    if configured is not None:
        return _hashed(configured, tuple(settings.PASSWORD_HASHERS))
    if settings.DEBUG:
        return _hashed(DEMO_PASSWORD, tuple(settings.PASSWORD_HASHERS))
    return UNUSABLE_PASSWORD


#: ``make_password(DEMO_PASSWORD, salt=SALT)`` under Django's default hasher, worked out once:
#: hashing is slow on purpose (a third of a second, a tenth of a small run). Used only when the
#: default hasher is exactly that one, with the iterations the hash was made with.
PRECOMPUTED = {
    (DEMO_PASSWORD, "pbkdf2_sha256", 1_000_000): (
        "pbkdf2_sha256$1000000$mentaraseed$Fdd446B4NmUjaK05s0eUZIt+3j2An3u9ubwzscSKYvc="
    ),
}


@functools.cache
def _hashed(password: str, hashers: tuple[str, ...]) -> str:
    # Keyed by the hashers too: tests switch PASSWORD_HASHERS.
    hasher = get_hasher("default")
    if type(hasher) is PBKDF2PasswordHasher:
        known = PRECOMPUTED.get((password, hasher.algorithm, hasher.iterations))
        if known is not None:
            return known
    return make_password(password, salt=SALT)
