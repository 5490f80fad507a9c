"""How many rows a run would add, before it writes one: what ``MAX_ROWS`` is checked against.

The estimate follows the requirement table in step order, with no query and no work per row:

- the audit's gaps give the rows that existing entities lack, exactly;
- a step's new entities (made by the population step, or by earlier steps this run: an order's
  items are a requirement of orders, which a customer's requirement creates) each get the mean
  of the targets the requirement's distribution draws (the minimum without one);
- a row counted over a reverse foreign key is a new entity of the seeder of that model, if any,
  so its own requirements apply to it in turn; a many-to-many count adds link rows only;
- rows an earlier step made of the same model through another of its foreign keys (a
  community's members are memberships of clients) count for this step's entities too: spread
  evenly over them, each lacks only what its own target is above its share;
- a fill that writes more than the row it counts says so with ``also_writes`` (a user's
  profile, a conversation's other participant), and those rows are entities of later steps too;
- entities made by a later step (clients a community recruits) are filled on the next pass, as
  the run does, over as many passes as the run makes at most (``pipeline.MAX_PASSES``).

The estimate is a mean: a handful of entities with long-tailed targets can add more (or less)
than it says; thousands of them add close to it.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from django.db import models

from .auditing import Gap, Step
from .distributions import Distribution
from .requirements import Target

#: Evenly spaced draws over which a function of the entities' own targets is averaged: exact to
#: a fraction of a row for the shipped distributions, and the same number on every run.
MEAN_DRAWS = 4096


@functools.lru_cache(maxsize=256)
def _targets(distribution: Distribution, minimum: int, cap: int) -> tuple[int, ...]:
    return tuple(
        distribution.own_target(minimum, cap, (i + 0.5) / MEAN_DRAWS) for i in range(MEAN_DRAWS)
    )


@functools.lru_cache(maxsize=256)
def _mean(distribution: Distribution, minimum: int, cap: int) -> float:
    return sum(_targets(distribution, minimum, cap)) / MEAN_DRAWS


def mean_over_targets(target: Target, value: Callable[[int], float] | None = None) -> float:
    """The mean of ``value(own target)`` (the target itself without ``value``) over the
    entities: ``value(minimum)`` without a distribution."""
    if target.distribution is None or target.cap is None or target.cap <= target.minimum:
        return float(value(target.minimum) if value is not None else target.minimum)
    try:
        if value is None:
            return _mean(target.distribution, target.minimum, target.cap)
        targets = _targets(target.distribution, target.minimum, target.cap)
    except TypeError:  # a distribution of the project's own that cannot be hashed
        targets = _targets.__wrapped__(target.distribution, target.minimum, target.cap)
    return sum(map(value, targets) if value is not None else targets) / MEAN_DRAWS


def created_rows(step: Step) -> tuple[str, str] | None:
    """The label of the model whose rows the step's count counts and the foreign key of that
    model that points at the entity, when each counted row is one the fill creates (a reverse
    foreign key or one-to-one); None for a many-to-many (its link rows point at entities that
    exist), an expression, or a forward relation."""
    requirement = step.requirement
    if requirement is None or requirement.count is None:
        return None
    try:
        field = step.seeder.model._meta.get_field(requirement.count.split("__")[0])
    except models.FieldDoesNotExist:
        return None
    if field.auto_created and (field.one_to_many or field.one_to_one):
        return str(field.related_model._meta.label), str(field.field.name)
    return None


@dataclass(frozen=True)
class StepEstimate:
    """What an ``also_writes`` callable is given: the step, the rows it is estimated to add, the
    entities it fills, and the rows of each model so far (existing and estimated)."""

    step: Step
    rows: float
    entities: float
    counts: Mapping[str, float]

    def count(self, label: str) -> float:
        return self.counts.get(label, 0.0)

    def mean_over_targets(self, value: Callable[[int], float]) -> float:
        """The mean of ``value(target)`` over the entities' own targets (the clients a community
        lacks beyond those who exist: ``max(0, target - clients)``)."""
        return mean_over_targets(self.step.target, value)


AlsoWrites = Mapping[str, "float | Callable[[StepEstimate], float]"]


def also_writes(step: Step) -> AlsoWrites:
    if step.requirement is None:
        return step.seeder.also_writes
    return step.requirement.also_writes


def estimate_rows(
    steps: list[Step], gaps: list[Gap], counts: Mapping[str, int] | None = None, *, passes: int
) -> int:
    """The rows the run would add (see the module's docstring); ``counts``: the rows of each
    seeded model before the run, by label; ``passes``: the passes over the steps the run makes
    at most (``pipeline.MAX_PASSES``, given by the caller: the pipeline imports this module, so
    reading the constant here would be a cycle, and a number of its own could drift from it)."""
    missing: dict[str, int] = defaultdict(int)
    gap_entities: dict[str, int] = defaultdict(int)
    for gap in gaps:
        if gap.missing > 0:
            missing[gap.step.id] += gap.missing
            gap_entities[gap.step.id] += 1
    new_entities: dict[str, float] = defaultdict(float)
    totals: dict[str, float] = defaultdict(float, {k: float(v) for k, v in (counts or {}).items()})
    # Rows this run is estimated to make, by (model, the foreign key its step counted over).
    made_through: dict[tuple[str, str], float] = defaultdict(float)
    seen: dict[str, float] = defaultdict(float)  # the new entities each step accounted for
    total = 0.0
    for pass_number in range(passes):
        first_pass = pass_number == 0
        for step in steps:
            label = step.seeder.label
            made = created_rows(step)
            rows = entities = 0.0
            if first_pass:
                rows = float(missing.get(step.id, 0))
                entities = float(gap_entities.get(step.id, 0))
            if not step.is_population:
                fresh = new_entities[label] - seen[step.id]
                seen[step.id] = new_entities[label]
                if fresh > 0:
                    share = 0.0
                    if made is not None and totals[label] > 0:
                        other = sum(
                            n
                            for (model, via), n in made_through.items()
                            if model == made[0] and via != made[1]
                        )
                        share = other / totals[label]
                    lacking = (
                        (lambda own, share=share: max(0.0, own - share)) if share > 0 else None
                    )
                    rows += fresh * mean_over_targets(step.target, lacking)
                    entities += fresh
            if rows <= 0:
                continue
            if step.is_population:
                new_entities[label] += rows
                totals[label] += rows
            elif made is not None:
                new_entities[made[0]] += rows
                totals[made[0]] += rows
                made_through[made] += rows
            total += rows
            for other_label, per_row in also_writes(step).items():
                if callable(per_row):
                    written = per_row(StepEstimate(step, rows, entities, totals))
                else:
                    written = rows * per_row
                new_entities[other_label] += written
                totals[other_label] += written
                total += written
    return round(total)
