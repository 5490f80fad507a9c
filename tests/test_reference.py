"""docs/reference.md is complete and its examples are Python: every public name of the package,
every Seeder attribute, Requirement field, FillContext method and generator method is documented,
every check id the package registers is listed, and every Python example compiles."""

from __future__ import annotations

import dataclasses
import re
import textwrap
from pathlib import Path

import pytest

import mentara_seed
from mentara_seed import FillContext, Requirement, Seeder
from mentara_seed.rand import Rand
from mentara_seed.validation import CHECK_IDS

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = (ROOT / "docs" / "reference.md").read_text()


def documented(name: str) -> bool:
    return re.search(rf"`[^`]*\b{re.escape(name)}\b[^`]*`", REFERENCE) is not None


def public(cls: type) -> set[str]:
    return {name for name in vars(cls) if not name.startswith("_")}


@pytest.mark.parametrize(
    ("what", "names"),
    [
        ("package", set(mentara_seed.__all__)),
        ("Seeder", public(Seeder) | {"model"}),
        ("Requirement", {f.name for f in dataclasses.fields(Requirement)}),
        (
            "FillContext",
            (public(FillContext) - {"begin_step", "discard", "writing"})
            | {"using", "mode", "now", "seed", "step", "targets", "ordinal_start", "added"},
        ),
        ("Rand", public(Rand)),
    ],
)
def test_every_public_name_is_documented(what, names):
    missing = sorted(name for name in names if not documented(name))
    assert missing == [], f"{what}: {missing} not in docs/reference.md"


def test_every_check_id_is_listed():
    ids = set(CHECK_IDS) | {f"mentara_seed.E00{n}" for n in range(1, 8)}
    assert sorted(i for i in ids if f"`{i}`" not in REFERENCE) == []


def test_every_python_example_compiles():
    blocks = re.findall(r"```python\n(.*?)```", REFERENCE, re.DOTALL)
    assert len(blocks) > 20
    for block in blocks:
        # Method examples are indented and some end early with return: compile each as the
        # body of a function.
        body = textwrap.indent(textwrap.dedent(block), "    ")
        compile(f"def example():\n{body}", "docs/reference.md", "exec")


def test_the_readme_links_the_reference_and_the_design():
    readme = (ROOT / "README.md").read_text()
    assert "(docs/reference.md)" in readme
    assert "(docs/design.md)" in readme
