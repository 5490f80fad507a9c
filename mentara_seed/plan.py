"""From the registry, the mode and the overrides to an ordered list of steps.

Population steps come first, in registration order unless one creates rows that another's
automatic values point at (products need their sellers); then each requirement, after the steps
it names in ``after``, after every automatic step that writes rows it reads (its own entities,
the rows it links to or picks), and otherwise in declaration order (a stable topological sort).
The relations' order gives way where it would form a cycle; ``after`` never does.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping

from .auditing import Step, entity_keying
from .declarative import writes_and_reads
from .exceptions import ConfigurationError, NotRegistered
from .registry import SeedRegistry
from .requirements import POPULATION, Levels, as_levels, resolve


def build_steps(
    registry: SeedRegistry,
    *,
    mode: str,
    scale: int = 1,
    overrides: Mapping[str, Mapping[str, dict[str, int]]] | None = None,
) -> list[Step]:
    overrides = overrides or {}
    for label, requirements in overrides.items():
        try:
            seeder = registry.by_label(label)
        except NotRegistered:
            known = ", ".join(s.label for s in registry) or "none"
            raise ConfigurationError(
                f"MENTARA_SEED['REQUIREMENTS'] names {label!r}, which has no seeder "
                f"(registered: {known})"
            ) from None
        unknown = set(requirements) - set(seeder.requirement_names())
        if unknown:
            raise ConfigurationError(
                f"{seeder.label} has no requirement {', '.join(sorted(unknown))}; "
                f"it has {', '.join(seeder.requirement_names())}"
            )
    lowered = {label.lower(): value for label, value in overrides.items()}

    population: list[Step] = []
    declared: list[Step] = []
    for seeder in registry:
        own = lowered.get(seeder.label.lower(), {})
        keying = entity_keying(seeder, registry)
        if seeder.population is not None:
            target = resolve(
                where=f"{seeder.label}.{POPULATION}",
                minimum=as_levels(seeder.population),
                maximum=None,
                window_days=None,
                mode=mode,
                override=own.get(POPULATION),
                scale=scale,
            )
            population.append(Step(seeder, None, target))
        for requirement in seeder.requirements:
            window = requirement.window_days
            target = resolve(
                where=f"{seeder.label}.{requirement.name}",
                minimum=as_levels(requirement.minimum),
                maximum=requirement.maximum,
                window_days=window if isinstance(window, Levels) else None,
                mode=mode,
                override=own.get(requirement.name),
                distribution=requirement.distribution,
            )
            declared.append(Step(seeder, requirement, target, keying))
    return _ordered(population, set()) + _ordered(declared, {s.id for s in population})


def _ordered(steps: list[Step], done: set[str]) -> list[Step]:
    try:
        return _sorted(steps, done, _relation_edges(steps))
    except ConfigurationError:
        # The relations alone may form a cycle (a reverse and a forward many-to-many between
        # the same models); the declared order and after= still decide.
        return _sorted(steps, done, {})


def _relation_edges(steps: list[Step]) -> dict[int, set[int]]:
    """For each step, the automatic steps that write a model it reads."""
    effects = [writes_and_reads(step) for step in steps]
    edges: dict[int, set[int]] = {}
    for index, (_writes, reads) in enumerate(effects):
        edges[index] = {
            other
            for other, (writes, _reads) in enumerate(effects)
            if other != index and writes & reads
        }
    return edges


def _sorted(steps: list[Step], done: set[str], implied: dict[int, set[int]]) -> list[Step]:
    by_id = {step.id: index for index, step in enumerate(steps)}
    waiting_on: dict[int, set[int]] = {}
    for index, step in enumerate(steps):
        needs = set()
        for name in step.requirement.after if step.requirement else ():
            if name in done:
                continue
            if name not in by_id:
                raise ConfigurationError(
                    f"{step.id} is declared after {name!r}, which is not a registered step"
                )
            needs.add(by_id[name])
        waiting_on[index] = needs | implied.get(index, set())
    ready = [index for index, needs in waiting_on.items() if not needs]
    heapq.heapify(ready)
    order: list[int] = []
    while ready:
        index = heapq.heappop(ready)
        order.append(index)
        for other, needs in waiting_on.items():
            if index in needs:
                needs.discard(index)
                if not needs:
                    heapq.heappush(ready, other)
    if len(order) != len(steps):
        cycle = sorted(steps[i].id for i, needs in waiting_on.items() if needs)
        raise ConfigurationError(f"the 'after' declarations form a cycle among {', '.join(cycle)}")
    return [steps[index] for index in order]
