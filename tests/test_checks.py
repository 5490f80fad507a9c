"""System checks: each MENTARA_SEED mistake is an Error with an id and a hint in `check`."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.checks import Error, run_checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from mentara_seed.checks import check_settings

BASE = {"ALLOW_PRODUCTION": True}


def seed_errors() -> list[Error]:
    """The mentara_seed messages of a full run of the system checks."""
    return [m for m in run_checks() if m.id and m.id.startswith("mentara_seed.")]


def requirements(overrides: dict[str, Any]) -> dict[str, Any]:
    return {**BASE, "REQUIREMENTS": overrides}


BAD_SETTINGS = [
    pytest.param(["MODE", "light"], "mentara_seed.E001", "must be a dict", id="not-a-dict"),
    pytest.param("light", "mentara_seed.E001", "must be a dict", id="a-string"),
    pytest.param({**BASE, "MODES": "light"}, "mentara_seed.E002", "MODES", id="unknown-key"),
    pytest.param({**BASE, "MODE": "extreme"}, "mentara_seed.E003", "'extreme'", id="unknown-mode"),
    pytest.param({**BASE, "MODE": None}, "mentara_seed.E003", "None", id="mode-none"),
    pytest.param({**BASE, "SEED": "42"}, "mentara_seed.E004", "'42'", id="seed-string"),
    pytest.param({**BASE, "SEED": 1.5}, "mentara_seed.E004", "1.5", id="seed-float"),
    pytest.param({**BASE, "SEED": True}, "mentara_seed.E004", "True", id="seed-bool"),
    pytest.param({**BASE, "SCALE": 0}, "mentara_seed.E005", "SCALE", id="scale-zero"),
    pytest.param({**BASE, "SCALE": -2}, "mentara_seed.E005", "-2", id="scale-negative"),
    pytest.param({**BASE, "SCALE": "2"}, "mentara_seed.E005", "'2'", id="scale-string"),
    pytest.param({**BASE, "BATCH_SIZE": 0}, "mentara_seed.E006", "BATCH_SIZE", id="batch-zero"),
    pytest.param(
        {**BASE, "REQUIREMENTS": ["mentara.Client"]},
        "mentara_seed.E007",
        "must be a dict",
        id="requirements-not-a-dict",
    ),
    pytest.param(
        requirements({"mentara.Client": 3}),
        "mentara_seed.E007",
        "mentara.Client",
        id="model-value-not-a-dict",
    ),
    pytest.param(
        requirements({"mentara.Patient": {"posts": 1}}),
        "mentara_seed.E007",
        "'mentara.Patient'",
        id="unknown-model",
    ),
    pytest.param(
        requirements({"testapp.Author": {"books": 1}}),
        "mentara_seed.E007",
        "'testapp.Author'",
        id="model-without-seeder",
    ),
    pytest.param(
        requirements({"mentara.Client": {"tweets": 1}}),
        "mentara_seed.E007",
        "tweets",
        id="unknown-requirement",
    ),
    pytest.param(
        requirements({"mentara.Client": {"posts": -1}}),
        "mentara_seed.E007",
        "negative",
        id="negative-count",
    ),
    pytest.param(
        requirements({"mentara.Community": {"population": {"heavy": -5}}}),
        "mentara_seed.E007",
        "negative",
        id="negative-population-in-one-mode",
    ),
    pytest.param(
        requirements({"mentara.Client": {"therapist": {"min": 2}}}),
        "mentara_seed.E007",
        "above maximum",
        id="min-above-max",
    ),
    pytest.param(
        requirements({"mentara.Client": {"posts": {"max": 1}}}),
        "mentara_seed.E007",
        "above maximum",
        id="max-below-default-min",
    ),
    pytest.param(
        # Valid in the configured mode, min above max in heavy: still an error.
        {**BASE, "MODE": "light", "REQUIREMENTS": {"mentara.Client": {"therapist": {"heavy": 2}}}},
        "mentara_seed.E007",
        "heavy",
        id="min-above-max-in-another-mode",
    ),
    pytest.param(
        requirements({"mentara.Client": {"posts": "five"}}),
        "mentara_seed.E007",
        "'five'",
        id="value-string",
    ),
    pytest.param(
        requirements({"mentara.Client": {"posts": 2.5}}),
        "mentara_seed.E007",
        "2.5",
        id="value-float",
    ),
    pytest.param(
        requirements({"mentara.Client": {"posts": True}}),
        "mentara_seed.E007",
        "True",
        id="value-bool",
    ),
    pytest.param(
        requirements({"mentara.Client": {"posts": {"min": "3"}}}),
        "mentara_seed.E007",
        "'3'",
        id="min-string",
    ),
    pytest.param(
        requirements({"mentara.Client": {"posts": {"minimum": 3}}}),
        "mentara_seed.E007",
        "minimum",
        id="unknown-override-key",
    ),
    pytest.param(
        requirements({"mentara.Client": {"posts": {"days": 7}}}),
        "mentara_seed.E007",
        "days",
        id="days-on-non-window",
    ),
    pytest.param(
        requirements({"mentara.Community": {"activity": {"days": 0}}}),
        "mentara_seed.E007",
        "at least 1 day",
        id="window-of-zero-days",
    ),
]


@pytest.mark.parametrize(("value", "error_id", "fragment"), BAD_SETTINGS)
def test_bad_setting_is_one_error_with_a_hint(settings, value, error_id, fragment):
    settings.MENTARA_SEED = value

    for errors in (check_settings(), seed_errors()):
        assert [error.id for error in errors] == [error_id]
        (error,) = errors
        assert isinstance(error, Error)
        assert error.is_serious()
        assert fragment in error.msg
        assert "\n" not in error.msg
        assert error.hint


def test_several_mistakes_are_reported_together(settings):
    settings.MENTARA_SEED = {
        "MODE": "extreme",
        "SEED": "x",
        "SCALE": 0,
        "COLOR": "blue",
        "REQUIREMENTS": {"mentara.Client": {"posts": -1}},
    }
    assert sorted(error.id for error in check_settings()) == [
        "mentara_seed.E002",
        "mentara_seed.E003",
        "mentara_seed.E004",
        "mentara_seed.E005",
        "mentara_seed.E007",
    ]


GOOD_SETTINGS = [
    pytest.param({}, id="empty"),
    pytest.param(BASE, id="base"),
    pytest.param(
        {
            **BASE,
            "MODE": "heavy",
            "SEED": 7,
            "SCALE": 3,
            "BATCH_SIZE": 50,
            "ON_MIGRATE": False,
            "REQUIREMENTS": {
                "mentara.Client": {
                    "population": 12,
                    "posts": {"light": 1, "medium": 2, "heavy": 3},
                    "therapist": {"min": 1, "max": 1},
                },
                "mentara.therapist": {"reviews": 0},
                "mentara.Community": {"activity": {"days": 14}, "members": {"min": 2}},
                "mentara.Conversation": {"messages": {"max": None}},
            },
        },
        id="full-override",
    ),
]


@pytest.mark.parametrize("value", GOOD_SETTINGS)
def test_valid_settings_pass(settings, value):
    settings.MENTARA_SEED = value
    assert check_settings() == []
    assert seed_errors() == []


def test_no_setting_at_all_passes(settings):
    del settings.MENTARA_SEED
    assert check_settings() == []


def test_manage_py_check_fails_on_a_bad_setting(settings):
    settings.MENTARA_SEED = requirements({"mentara.Client": {"therapist": {"min": 2}}})

    with pytest.raises(SystemCheckError) as excinfo:
        call_command("check", stdout=io.StringIO(), stderr=io.StringIO())

    message = str(excinfo.value)
    assert "mentara_seed.E007" in message
    assert "HINT:" in message


def test_manage_py_check_passes_on_a_valid_setting(settings):
    settings.MENTARA_SEED = GOOD_SETTINGS[2].values[0]
    out = io.StringIO()
    call_command("check", stdout=out)
    assert "no issues" in out.getvalue()
