"""Seed a fresh database with the shop in a process of its own and print what it holds.

``python -m tests.declarative_app.build MODE SEED NOW [BATCH_SIZE]`` with DATABASE_URL set
prints one JSON object: whether the run ended satisfied, what it added, and every shop row
(``dumpdata``), primary keys included."""

from __future__ import annotations

import io
import json
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    import mentara_seed
    from tests.declarative_app.seeding import registry

    mode, seed, now = sys.argv[1:4]
    if len(sys.argv) > 4:
        settings.MENTARA_SEED = {**settings.MENTARA_SEED, "BATCH_SIZE": int(sys.argv[4])}
    call_command("migrate", verbosity=0)
    report = mentara_seed.seed(mode=mode, seed=int(seed), now=now, registry=registry)
    dump = io.StringIO()
    call_command("dumpdata", "shop", stdout=dump)
    summary = {"satisfied": report.satisfied, "added": report.added}
    print(json.dumps({"report": summary, "dump": json.loads(dump.getvalue())}))


if __name__ == "__main__":
    main()
