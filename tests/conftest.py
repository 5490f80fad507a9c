"""Shared fixtures: a fixed reference time, a command runner, and table dumps for comparisons."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


@pytest.fixture
def now() -> datetime:
    return NOW


@dataclass
class CommandResult:
    code: int
    out: str
    err: str


def run(name: str, *args: str, **options: Any) -> CommandResult:
    """Run a management command as the command line would, capturing output and exit code."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(name, *args, stdout=out, stderr=err, **options)
    except CommandError as exc:
        return CommandResult(exc.returncode, out.getvalue(), f"CommandError: {exc}")
    except SystemExit as exc:
        return CommandResult(int(exc.code or 0), out.getvalue(), err.getvalue())
    return CommandResult(0, out.getvalue(), err.getvalue())


@pytest.fixture
def run_command() -> Callable[..., CommandResult]:
    return run


def table_dump(app_label: str = "mentara") -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every concrete model of the app, every field, in primary-key order."""
    dump: dict[str, list[tuple[Any, ...]]] = {}
    for model in apps.get_app_config(app_label).get_models():
        if model._meta.proxy:
            continue
        fields = [f.attname for f in model._meta.concrete_fields]
        dump[model._meta.label] = list(model._base_manager.order_by("pk").values_list(*fields))
    return dump


@pytest.fixture
def dump_tables() -> Callable[[], dict[str, list[tuple[Any, ...]]]]:
    return table_dump


pytest_plugins = ["pytester"]


def content_dump(
    app_label: str = "mentara", *, include_auto_created: bool = False
) -> dict[str, list[tuple[Any, ...]]]:
    """Like table_dump, but primary and foreign keys are replaced by the row's rank in its table:
    two databases with the same content compare equal even when their sequences differ.
    ``include_auto_created`` adds the tables Django creates for plain many-to-many fields (their
    links are content too; off by default, which keeps the fingerprints pinned before it)."""
    config = apps.get_app_config(app_label)
    models = [
        m for m in config.get_models(include_auto_created=include_auto_created) if not m._meta.proxy
    ]
    ranks = {
        m._meta.label: {
            pk: rank
            for rank, pk in enumerate(m._base_manager.order_by("pk").values_list("pk", flat=True))
        }
        for m in models
    }
    dump: dict[str, list[tuple[Any, ...]]] = {}
    for model in models:
        fields = model._meta.concrete_fields
        rows = []
        for row in model._base_manager.order_by("pk").values_list(*[f.attname for f in fields]):
            values = []
            for field, value in zip(fields, row, strict=True):
                if field.primary_key:
                    value = ranks[model._meta.label][value]
                elif field.is_relation and value is not None:
                    value = ranks[field.related_model._meta.concrete_model._meta.label][value]
                values.append(value)
            rows.append(tuple(values))
        dump[model._meta.label] = rows
    return dump


@pytest.fixture
def register_on_site() -> Iterator[Callable[[Any, Any], None]]:
    """Registers a seeder class on the global registry for one test, as a project's seeding.py
    would (the commands use that registry)."""
    from mentara_seed.registry import site

    registered = []

    def register(model: Any, seeder_class: Any) -> None:
        site.register(model, seeder_class)
        registered.append(model)

    yield register
    for model in registered:
        site.unregister(model)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "backend(vendor): a test of behaviour only that backend has (for example MySQL's storage "
        "engines); it runs when the suite runs on that backend and is deselected on the others",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:

    kept, deselected = [], []
    for item in items:
        marker = item.get_closest_marker("backend")
        (kept if marker is None or connection.vendor in marker.args else deselected).append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = kept
