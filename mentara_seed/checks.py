"""System checks: configuration mistakes surface in ``manage.py check``, not mid-run."""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Error, register

from .conf import parsed_overrides, seed_settings, settings_errors
from .exceptions import ConfigurationError
from .plan import build_steps
from .registry import site
from .requirements import MODES
from .validation import HINT as VALIDATION_HINT
from .validation import registry_problems

HINT = "See the MENTARA_SEED section of the mentara-seed README."


@register()
def check_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    errors: list[CheckMessage] = [
        Error(message, hint=HINT, id=f"mentara_seed.{code}") for code, message in settings_errors()
    ]
    if any(error.id == "mentara_seed.E001" for error in errors):
        return errors
    try:
        overrides = parsed_overrides(seed_settings.requirements)
        # Every mode: an override may be valid in one mode and put min above max in another.
        for mode in MODES:
            build_steps(site, mode=mode, overrides=overrides)
    except ConfigurationError as exc:
        errors.append(
            Error(
                f"MENTARA_SEED['REQUIREMENTS']: {exc}",
                hint="Override with a whole number (minimum in every mode) or a dict with "
                "light/medium/heavy/min/max/days/cap.",
                id="mentara_seed.E007",
            )
        )
    return errors


@register()
def check_seeders(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Every requirement's paths and conditions against its model (E020-E026)."""
    return [
        Error(problem.message, hint=VALIDATION_HINT, id=problem.id)
        for problem in registry_problems(site)
    ]
