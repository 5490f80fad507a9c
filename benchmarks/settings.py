"""Settings for the benchmark workers: the demo project with a second, read-only alias ``source``
(the database a seed run filled), so other methods can be fed exactly the same rows."""

import os

import dj_database_url

from project.settings import *  # noqa: F403

DATABASES = {
    "default": dj_database_url.parse(os.environ["DATABASE_URL"]),
    "source": dj_database_url.parse(
        os.environ.get("SOURCE_DATABASE_URL", os.environ["DATABASE_URL"])
    ),
}
MENTARA_SEED = {
    "ON_MIGRATE": False,
    "BULK_LOADS": os.environ.get("MENTARA_SEED_BULK_LOADS", "1") != "0",
    "EXCLUSIVE_BULK_LOADS": os.environ.get("MENTARA_SEED_EXCLUSIVE_BULK_LOADS", "0") == "1",
}
