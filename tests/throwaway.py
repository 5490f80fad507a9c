"""A throwaway project, written to a temporary directory and run in real processes: a small
``store`` app whose seeder can be told to make a mistake, or to pause, through the environment.

Its tables have the names that break careless SQL: a mixed-case one (``"Parent_Mixed"``) and two
reserved words (``"order"``, ``"user"``). Steps, in order: ``store.Product.population`` (4 rows,
by ``ctx.insert``), ``store.Order.population`` (by ``ctx.insert``), ``store.Order.items`` (2 per
order, by ``ctx.add``). ``STORE_ORDERS`` sets the number of orders (medium mode), so that the
items step can be a bulk load.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.test_reliability import ROOT, fresh_databases, subprocess_env

MODELS = """
from django.db import models


class Product(models.Model):
    name = models.CharField(max_length=50, unique=True)

    class Meta:
        db_table = "Parent_Mixed"


class Order(models.Model):
    number = models.IntegerField(unique=True)
    note = models.CharField(max_length=50)

    class Meta:
        db_table = "order"


class Item(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="items")
    product = models.ForeignKey(Product, on_delete=models.CASCADE)
    position = models.IntegerField()

    class Meta:
        db_table = "user"
        constraints = [
            models.UniqueConstraint(fields=["order", "product"], name="one_product_per_order")
        ]
"""

SEEDING = """
import os
import time

from django.db import connections

from mentara_seed import Levels, Requirement, Seeder, register
from mentara_seed.bulk_loads import BulkLoads

from .models import Item, Order, Product

MISTAKE = os.environ.get("STORE_MISTAKE", "")
PAUSE = float(os.environ.get("STORE_PAUSE", "0"))
# Seconds to sleep after every 500th order from the 3,000th, while a large items load (its first
# batch written at the 2,500th order with the default BATCH_SIZE) holds whatever it holds.
LOAD_PAUSE = float(os.environ.get("STORE_LOAD_PAUSE", "0"))
ORDERS = int(os.environ.get("STORE_ORDERS", "30"))
# A file whose creation ends the pause at once, so that a test does something to the paused
# run (kills its connection) and then lets it go on, however slowly the machine runs.
RESUME = os.environ.get("STORE_RESUME", "")
# Small loads become bulk loads here, so that every writer meets these table names in DDL too.
BulkLoads.min_rows = int(os.environ.get("STORE_BULK_MIN_ROWS", "50"))


def wait_for_resume(seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if RESUME and os.path.exists(RESUME):
            return
        time.sleep(0.02 if RESUME else max(deadline - time.monotonic(), 0))


@register(Product)
class ProductSeeder(Seeder):
    population = 4
    key_field = "name"

    def create(self, ctx, count):
        names = [f"product {n}" for n in range(ctx.ordinal_start, ctx.ordinal_start + count)]
        ctx.insert(Product, [{"name": name} for name in names])


@register(Order)
class OrderSeeder(Seeder):
    population = Levels(light=3, medium=ORDERS, heavy=ORDERS)
    key_field = "number"
    requirements = (Requirement("items", minimum=2, count="items"),)

    def create(self, ctx, count):
        numbers = range(ctx.ordinal_start, ctx.ordinal_start + count)
        ctx.insert(Order, [{"number": n, "note": f"order {n}"} for n in numbers])

    def fill_items(self, ctx, gaps):
        products = list(ctx.objects(Product).order_by("name").values_list("pk", flat=True))
        if MISTAKE == "slow":
            connection = connections[ctx.using]
            with connection.cursor() as cursor:
                if connection.vendor == "mysql" and not connection.mysql_is_mariadb:
                    # MySQL's max_execution_time ends SLEEP() quietly (it returns 1); it
                    # raises only for a SELECT that reads rows: this one reads 23 million
                    # (about 2 s unbounded).
                    cursor.execute(
                        "SELECT count(*) FROM information_schema.collations a,"
                        " information_schema.collations b, information_schema.collations c"
                    )
                else:
                    sleep = "pg_sleep" if connection.vendor == "postgresql" else "SLEEP"
                    cursor.execute(f"SELECT {sleep}(1)")
        for index, gap in enumerate(gaps):
            for ordinal in range(gap.current, gap.current + gap.missing):
                product = products[0] if MISTAKE == "duplicate" else products[ordinal]
                position = None if MISTAKE == "null" else ordinal
                ctx.add(Item, order_id=gap.pk, product_id=product, position=position)
            if LOAD_PAUSE and index >= 2999 and index % 500 == 499:
                time.sleep(LOAD_PAUSE)
            if PAUSE and index % 10 == 0:
                ctx.flush()
                if index == 0:
                    print("filling items", flush=True)
                wait_for_resume(PAUSE)
"""

SETTINGS = """
import json
import os

from project.settings import DATABASES  # DATABASE_URL, as the demo reads it

DEBUG = os.environ.get("DJANGO_DEBUG", "1") == "1"
SECRET_KEY = "throwaway"
USE_TZ = True
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth", "store", "mentara_seed"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
MENTARA_SEED = json.loads(os.environ.get("STORE_MENTARA_SEED", "{}"))

# The crash suite: log every statement, and SIGKILL this process just before the N-th one.
_KILL_AT = int(os.environ.get("STORE_KILL_AT_STATEMENT", "0"))
_LOG = os.environ.get("STORE_STATEMENT_LOG")
if _KILL_AT or _LOG:
    import signal

    from django.db.backends.signals import connection_created

    _seen = [0]

    def _count(execute, sql, params, many, context):
        _seen[0] += 1
        if _LOG:
            with open(_LOG, "a") as log:
                log.write(" ".join(sql.split())[:80] + "\\n")
        if _seen[0] == _KILL_AT:
            os.kill(os.getpid(), signal.SIGKILL)
        return execute(sql, params, many, context)

    def _install(sender, connection, **kwargs):
        connection.execute_wrappers.insert(0, _count)

    connection_created.connect(_install, weak=False)
"""


@contextmanager
def store_project(directory: Path) -> Iterator[Path]:
    app = directory / "store"
    app.mkdir(parents=True)
    (app / "__init__.py").write_text("")
    (app / "models.py").write_text(textwrap.dedent(MODELS))
    (app / "seeding.py").write_text(textwrap.dedent(SEEDING))
    (directory / "store_settings.py").write_text(textwrap.dedent(SETTINGS))
    yield directory


def store_env(directory: Path, database_url: str, **extra: Any) -> dict[str, str]:
    env = subprocess_env(database_url)
    env.update(
        DJANGO_SETTINGS_MODULE="store_settings",
        PYTHONPATH=f"{directory}{os.pathsep}{ROOT}",
    )
    for name, value in extra.items():
        env[name] = value if isinstance(value, str) else json.dumps(value)
    return env


def popen_store(
    directory: Path, database_url: str, *args: str, **extra: Any
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "django", *args],
        cwd=directory,
        env=store_env(directory, database_url, **extra),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def run_store(
    directory: Path, database_url: str, *args: str, **extra: Any
) -> subprocess.CompletedProcess[str]:
    from tests.test_reliability import finish

    return finish(popen_store(directory, database_url, *args, **extra))


@contextmanager
def store_databases(
    tmp_path: Path, count: int = 1, *, sqlite: bool = False
) -> Iterator[tuple[Path, list[str]]]:
    """The store project and ``count`` fresh databases with its tables (``migrate --run-syncdb``:
    the throwaway app has no migrations): of the suite's vendor, or SQLite files whatever the
    suite runs on (for SQLite's own behaviour, tested in every run)."""
    with store_project(tmp_path) as directory, contextlib.ExitStack() as stack:
        if sqlite:
            urls = [f"sqlite:///{tmp_path}/store{index}.sqlite3" for index in range(count)]
        else:
            urls = stack.enter_context(fresh_databases(count, migrate=False))
        for url in urls:
            result = run_store(directory, url, "migrate", "--run-syncdb", "-v0")
            assert result.returncode == 0, result.stderr
        yield directory, urls


def store_rows(directory: Path, database_url: str) -> dict[str, Any]:
    """Rows per table, read by a process of its own, and the items as (order number, product)."""
    code = (
        "import django, json; django.setup();"
        "from store.models import Item, Order, Product;"
        "print(json.dumps({'products': Product.objects.count(), 'orders': Order.objects.count(),"
        "'items': sorted(Item.objects.values_list('order__number', 'product__name', 'position'))"
        "}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=directory,
        env=store_env(directory, database_url),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    rows["items"] = [tuple(item) for item in rows["items"]]
    return rows
