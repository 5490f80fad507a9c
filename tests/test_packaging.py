"""The package as a user gets it: build the wheel, install it into a fresh virtual environment
with no extras, and seed a fresh project written from the README's own example.

The fresh project uses SQLite whatever backend the suite runs on: what is tested is the wheel
(its files, its metadata, that it installs and runs alone), not the database.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import venv
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

MODELS = """
from django.db import models


class Author(models.Model):
    name = models.CharField(max_length=100)
    email = models.EmailField(unique=True)


class Book(models.Model):
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="books")
    title = models.CharField(max_length=200)
    isbn = models.CharField(max_length=13)
    pages = models.PositiveIntegerField()
"""

SETTINGS = """
SECRET_KEY = "fresh-project"
DEBUG = True
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "library",
    "mentara_seed",
]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "db.sqlite3"}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
"""

MANAGE = """
import os
import sys

from django.core.management import execute_from_command_line

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings")
execute_from_command_line(sys.argv)
"""


def readme_seeding_example() -> str:
    """The README's `seeding.py` example, exactly as a reader would copy it."""
    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.DOTALL)
    (example,) = [block for block in blocks if "@register(Author)" in block]
    return example


def run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args,
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=600,
        check=False,
    )


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel, built from a copy of the sources (building in place would write build/ and
    egg-info into the working tree while other runs read it)."""
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(
        ROOT / "mentara_seed",
        source / "mentara_seed",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
    )
    out = tmp_path_factory.mktemp("dist")
    built = run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), str(source)],
        cwd=source,
        env=clean_env(),
    )
    assert built.returncode == 0, built.stderr
    (path,) = out.glob("mentara_seed-*.whl")
    return path


def clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTHON"))}
    env.pop("DATABASE_URL", None)
    env.pop("VIRTUAL_ENV", None)
    return env


def test_the_wheel_ships_the_license_and_honest_extras(wheel: Path):
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        (metadata_name,) = [n for n in names if n.endswith(".dist-info/METADATA")]
        metadata = Parser().parsestr(archive.read(metadata_name).decode())

    assert any(n.endswith(".dist-info/LICENSE") or "/licenses/LICENSE" in n for n in names)
    assert metadata["License"] == "MIT" or metadata["License-Expression"] == "MIT"
    # Only the engine is packaged; the demo and the tests stay in the repository.
    assert {name.split("/")[0] for name in names if not name.startswith("mentara_seed-")} == {
        "mentara_seed"
    }
    assert "mentara_seed/py.typed" in names
    assert "mentara_seed/name_pools.json" in names  # the names seeders draw from
    assert sorted(metadata.get_all("Provides-Extra")) == ["mysql", "postgres", "pytest"]
    requires = metadata.get_all("Requires-Dist")
    assert any(r.startswith("pytest-django") and 'extra == "pytest"' in r for r in requires)
    assert not any("hypothesis" in r or "ruff" in r or "dj-database-url" in r for r in requires)


def test_the_wheel_installs_alone_and_seeds_the_readme_example(wheel: Path, tmp_path: Path):
    environment = tmp_path / "venv"
    venv.create(environment, with_pip=False)
    python = environment / "bin" / "python"
    env = clean_env()
    # This interpreter's pip installs into the fresh environment: no pip copied into it first.
    installed = run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", str(wheel)],
        cwd=tmp_path,
        env=env,
    )
    assert installed.returncode == 0, installed.stderr
    no_extras = run([str(python), "-c", "import pytest_django"], cwd=tmp_path, env=env)
    assert no_extras.returncode != 0  # no test extras came with it

    project = tmp_path / "project"
    (project / "library" / "migrations").mkdir(parents=True)
    (project / "library" / "__init__.py").write_text("")
    (project / "library" / "migrations" / "__init__.py").write_text("")
    (project / "library" / "models.py").write_text(MODELS)
    (project / "library" / "seeding.py").write_text(readme_seeding_example())
    (project / "settings.py").write_text(SETTINGS)
    (project / "manage.py").write_text(MANAGE)

    for command in (["makemigrations", "library"], ["migrate"], ["check"]):
        done = run([str(python), "manage.py", *command], cwd=project, env=env)
        assert done.returncode == 0, done.stderr

    seeded = run(
        [str(python), "manage.py", "seed_dynamic", "--mode", "light"], cwd=project, env=env
    )

    assert seeded.returncode == 0, seeded.stderr
    assert "Satisfied: Yes" in seeded.stdout
    assert "  - library.Author: 2 (now 2)\n" in seeded.stdout
    assert "  - library.Book: 2 (now 2)\n" in seeded.stdout
    again = run(
        [str(python), "manage.py", "seed_audit", "--check", "--mode", "light"], cwd=project, env=env
    )
    assert again.returncode == 0, again.stderr
