"""pytest plugin (entry point ``pytest11``): a test database that is already stocked.

Fixtures, for use with pytest-django:

- ``mentara_seed_session``: session-scoped; seeds the test database once, right after
  pytest-django's ``django_db_setup``, in the mode of the ``mentara_seed_mode`` ini option.
- ``seeded_db``: like ``db`` (each test in a transaction that is rolled back), with the data in
  place; ``@pytest.mark.mentara_seed(mode="heavy")`` tops it up to another mode for that test.
- ``seeded_transactional_db``: like ``transactional_db``, seeded at the start of the test (that
  fixture empties every table after each test, so the data cannot be shared).

Each returns the ``SeedReport`` of its run. Nothing is imported from Django until a fixture runs,
so the plugin is harmless in projects that never use it. Without pytest-django
(``pip install 'mentara-seed[pytest]'``), a test that uses one of these fixtures fails with one
line saying so. ``mentara_seed_strict = true`` fails them when the report has warnings.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from .report import SeedReport

MARKER = "mentara_seed"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("mentara_seed_mode", "mentara-seed mode for the seeded fixtures", default="light")
    parser.addini("mentara_seed_seed", "mentara-seed random seed for the fixtures", default="0")
    parser.addini(
        "mentara_seed_strict",
        "fail the fixtures when the seeding report has warnings (like seed_dynamic --strict)",
        type="bool",
        default=False,
    )
    parser.addini(
        "mentara_seed_now",
        "ISO-8601 reference time for the fixtures (default: when the session starts)",
        default="",
    )


def pytest_configure(config: pytest.Config) -> None:
    if not config.pluginmanager.hasplugin("django"):
        config.pluginmanager.register(WithoutPytestDjango(), "mentara_seed_without_pytest_django")
    config.addinivalue_line(
        "markers",
        f"{MARKER}(mode=None, scale=None, seed=None): seed the test database in this mode "
        "(used by the seeded_db and seeded_transactional_db fixtures)",
    )


def _options(request: pytest.FixtureRequest, *, use_marker: bool) -> dict[str, Any]:
    from django.utils.timezone import now

    from .conf import parse_iso_datetime
    from .exceptions import ConfigurationError

    config = request.config
    text = config.getini("mentara_seed_now")
    try:
        reference = parse_iso_datetime(text) if text else None
    except ConfigurationError as exc:
        raise pytest.UsageError(f"mentara_seed_now: {exc}") from None
    options: dict[str, Any] = {
        "mode": config.getini("mentara_seed_mode"),
        "seed": int(config.getini("mentara_seed_seed")),
        "strict": config.getini("mentara_seed_strict"),
        "now": reference or config.stash.setdefault(_SESSION_NOW, now()),
    }
    marker = request.node.get_closest_marker(MARKER) if use_marker else None
    if marker is not None:
        if marker.args:
            options["mode"] = marker.args[0]
        options.update({k: v for k, v in marker.kwargs.items() if v is not None})
    return options


_SESSION_NOW = pytest.StashKey[datetime]()


def _seed(options: dict[str, Any]) -> SeedReport:
    from .pipeline import seed_database

    # The test runner turns DEBUG off; seeding the throwaway test database is intended.
    report = seed_database(allow_production=True, **options)
    if not report.satisfied:
        raise AssertionError(f"mentara-seed could not satisfy {options}: {report.remaining[:5]}")
    return report


@pytest.fixture(scope="session")
def mentara_seed_session(
    request: pytest.FixtureRequest, django_db_setup: None, django_db_blocker: Any
) -> SeedReport:
    with django_db_blocker.unblock():
        return _seed(_options(request, use_marker=False))


@pytest.fixture
def seeded_db(
    request: pytest.FixtureRequest, mentara_seed_session: SeedReport, db: None
) -> SeedReport:
    # A no-op audit when the session data is intact; refills (inside this test's transaction)
    # after a transactional test emptied the tables, or for a marker asking for more.
    return _seed(_options(request, use_marker=True))


@pytest.fixture
def seeded_transactional_db(request: pytest.FixtureRequest, transactional_db: None) -> SeedReport:
    return _seed(_options(request, use_marker=True))


NEEDS_PYTEST_DJANGO = (
    "mentara-seed's seeded fixtures need pytest-django: pip install 'mentara-seed[pytest]'"
)


class WithoutPytestDjango:
    """Stands in for the pytest-django fixtures ours use, when pytest-django is not there, so a
    test that asks for a seeded fixture fails with one line instead of pytest's "fixture
    'django_db_setup' not found" and the list of every fixture."""

    @pytest.fixture(scope="session")
    def django_db_setup(self) -> None:
        pytest.fail(NEEDS_PYTEST_DJANGO, pytrace=False)

    @pytest.fixture(scope="session")
    def django_db_blocker(self) -> None:
        pytest.fail(NEEDS_PYTEST_DJANGO, pytrace=False)

    @pytest.fixture
    def db(self) -> None:
        pytest.fail(NEEDS_PYTEST_DJANGO, pytrace=False)

    @pytest.fixture
    def transactional_db(self) -> None:
        pytest.fail(NEEDS_PYTEST_DJANGO, pytrace=False)
