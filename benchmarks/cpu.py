#!/usr/bin/env python
"""One heavy build of the Mentara demo on a fresh database, its CPU split by process, as one line
of JSON. Not a test.

    .venv/bin/python benchmarks/cpu.py --db bench_cpu --scale 20                   # PostgreSQL
    .venv/bin/python benchmarks/cpu.py --db bench_cpu --scale 20 --jobs 2
    .venv/bin/python benchmarks/cpu.py --db bench_cpu --scale 5 --backend sqlite  # a file
    .venv/bin/python benchmarks/cpu.py --db bench_cpu --scale 10 --backend mysql

The database is dropped and created anew (PostgreSQL, MariaDB/MySQL) or its file removed
(SQLite), migrated with ``MENTARA_SEED_ON_MIGRATE=0``, then seeded with ``seed_dynamic --mode
heavy --scale K --seed 0 --now 2026-01-15T12:00:00Z``. Printed, for the seeding alone: ``wall``,
``py_cpu`` (this process, user + sys), ``workers_cpu`` (``--jobs`` workers), ``server_cpu`` (the
PostgreSQL backend of the run's connection, read from ``/proc``, so the server must run on this
machine; null elsewhere), ``rows`` and the 1-minute load average. On a shared machine compare
CPU, alternating the builds compared; the wall clock moves with the load.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
NOW = "2026-01-15T12:00:00Z"


def fresh_database(backend: str, name: str, host: str) -> str:
    if backend == "postgres":
        subprocess.run(
            ["psql", "-q", "-h", host, "-U", "postgres", "-d", "postgres",
             "-c", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
             "-c", f'CREATE DATABASE "{name}"'],
            check=True,
        )  # fmt: skip
        return f"postgres://postgres@{host}:5432/{name}"
    if backend == "mysql":
        subprocess.run(
            ["mysql", f"-h{host}", "-uroot", "-e",
             f"DROP DATABASE IF EXISTS `{name}`; CREATE DATABASE `{name}`"],
            check=True,
        )  # fmt: skip
        return f"mysql://root@{host}:3306/{name}"
    path = Path(f"/tmp/{name}.sqlite3")
    path.unlink(missing_ok=True)
    return f"sqlite:///{path}"


def backend_cpu(connection: Any) -> tuple[int, float] | None:
    """The PostgreSQL backend's pid and CPU seconds so far (None on other backends)."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return pid, (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def drop_database(backend: str, name: str, host: str) -> None:
    if backend == "postgres":
        subprocess.run(
            ["psql", "-q", "-h", host, "-U", "postgres", "-d", "postgres",
             "-c", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'],
            check=True,
        )  # fmt: skip
    elif backend == "mysql":
        subprocess.run(
            ["mysql", f"-h{host}", "-uroot", "-e", f"DROP DATABASE IF EXISTS `{name}`"], check=True
        )
    else:
        for suffix in ("", ".mentara-seed.lock"):  # the file, and the run lock's file beside it
            Path(f"/tmp/{name}.sqlite3{suffix}").unlink(missing_ok=True)


def cpu(usage: resource.struct_rusage) -> float:
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--db",
        default=f"bench_cpu_{os.getpid()}",
        help="the database's (or file's) name: dropped first, and dropped after unless --keep",
    )
    parser.add_argument("--keep", action="store_true", help="keep the database after the build")
    parser.add_argument("--scale", type=int, default=20)
    parser.add_argument("--backend", choices=["postgres", "sqlite", "mysql"], default="postgres")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--jobs", default="1")
    args = parser.parse_args()

    os.environ["DATABASE_URL"] = fresh_database(args.backend, args.db, args.host)
    os.environ["MENTARA_SEED_ON_MIGRATE"] = "0"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    sys.path.insert(0, str(REPO))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    server_before = backend_cpu(connection)
    own_before = cpu(resource.getrusage(resource.RUSAGE_SELF))
    workers_before = cpu(resource.getrusage(resource.RUSAGE_CHILDREN))
    started = time.perf_counter()
    out = io.StringIO()
    call_command(
        "seed_dynamic", "--mode", "heavy", "--scale", str(args.scale), "--seed", "0",
        "--now", NOW, "--jobs", args.jobs, "--format", "json", "--no-progress", stdout=out,
    )  # fmt: skip
    wall = time.perf_counter() - started
    own = cpu(resource.getrusage(resource.RUSAGE_SELF)) - own_before
    workers = cpu(resource.getrusage(resource.RUSAGE_CHILDREN)) - workers_before
    server_after = backend_cpu(connection)
    report = json.loads(out.getvalue())
    # The same backend before and after, or its CPU says nothing about this build.
    server = (
        None
        if server_before is None or server_after is None or server_before[0] != server_after[0]
        else round(server_after[1] - server_before[1], 2)
    )
    connection.close()
    if not args.keep:
        drop_database(args.backend, args.db, args.host)
    print(
        json.dumps(
            {
                "wall": round(wall, 2),
                "py_cpu": round(own, 2),
                "workers_cpu": round(max(workers, 0.0), 2),
                "server_cpu": server,
                "rows": sum(report["added"].values()),
                "load": round(os.getloadavg()[0], 2),
            }
        )
    )


if __name__ == "__main__":
    main()
