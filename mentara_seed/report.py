"""The result of a run and its two renderings: the original's four-step text report, and JSON."""

from __future__ import annotations

import json
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .auditing import Gap

#: Entities listed per model in the text report, by verbosity; the rest are counted, so heavy
#: runs stay readable. Verbosity 3 lists every entity and every remaining gap.
ENTITY_LINES_PER_MODEL = {0: 0, 1: 5, 2: 50}
REMAINING_LINES = {0: 0, 1: 20, 2: 200}


@dataclass(frozen=True)
class DatabaseInfo:
    alias: str
    vendor: str
    name: str

    def __str__(self) -> str:
        return f"{self.alias} ({self.vendor}, {self.name})"


@dataclass(frozen=True)
class StepResult:
    step_id: str
    entities: int
    added: dict[str, int]
    seconds: float = 0.0
    #: Entities (a population: 1) the step was asked to fill that still lacked rows after the
    #: step's own pass, and how many rows they lacked.
    short_entities: int = 0
    short_rows: int = 0
    fill_method: str = ""
    #: The primary keys of the entities the step was asked to fill (None for a population).
    asked: frozenset[Any] = field(default=frozenset(), repr=False)
    #: Processes that generated the step's rows (``--jobs``; 1 when it ran serially).
    workers: int = 1


def step_warnings(results: list[StepResult]) -> list[str]:
    """One warning per step that left gaps it was asked to fill after its own pass (its first
    such pass): the seeder adds too little per call, even if later passes made up for it."""
    warnings: dict[str, str] = {}
    for result in results:
        if not result.short_entities or result.step_id in warnings:
            continue
        if result.step_id.endswith(".population"):
            what = f"the population still lacked {plural(result.short_rows, 'row', 'rows')}"
        else:
            what = (
                f"{plural(result.short_entities, 'entity', 'entities')} of the "
                f"{result.entities} it was asked to fill still lacked "
                f"{plural(result.short_rows, 'row', 'rows')}"
            )
        warnings[result.step_id] = (
            f"{result.step_id}: after the step's own pass {what}; "
            f"{result.fill_method}() adds too little per call"
        )
    return list(warnings.values())


@dataclass
class SeedReport:
    """What a run found, did and left; ``as_dict()`` is the JSON contract."""

    mode: str
    scale: int
    seed: int
    now: datetime
    database: DatabaseInfo
    audit_only: bool
    dry_run: bool
    counts_before: dict[str, int] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    gaps: list[Gap] = field(default_factory=list)
    remaining: list[Gap] = field(default_factory=list)
    reasons: dict[tuple[str, Any], str] = field(default_factory=dict)
    added: dict[str, int] = field(default_factory=dict)
    steps: list[StepResult] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    duration_s: float = 0.0

    @property
    def satisfied(self) -> bool:
        return not (self.gaps if self.audit_only else self.remaining)

    def reason(self, gap: Gap) -> str:
        if gap.over_maximum:
            return "above the maximum; mentara-seed never deletes rows"
        return self.reasons.get((gap.step.id, gap.pk), "not filled")

    def as_dict(self) -> dict[str, Any]:
        remaining = []
        for gap in self.remaining:
            remaining.append({**gap.as_dict(), "reason": self.reason(gap)})
        return {
            "mode": self.mode,
            "scale": self.scale,
            "seed": self.seed,
            "now": self.now.isoformat(),
            "database": {
                "alias": self.database.alias,
                "vendor": self.database.vendor,
                "name": self.database.name,
            },
            "audit_only": self.audit_only,
            "dry_run": self.dry_run,
            "satisfied": self.satisfied,
            "counts": dict(self.counts),
            "gaps": [gap.as_dict() for gap in self.gaps],
            "remaining_gaps": [] if self.audit_only else remaining,
            "added": dict(self.added),
            "warnings": list(self.warnings),
            "duration_s": round(self.duration_s, 3),
        }

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), default=str)


def _yes(flag: bool) -> str:
    return "Yes" if flag else "No"


def plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def _gaps_summary(gaps: list[Gap]) -> str:
    """ "2 populations below their minimum and 5 entities needing more data": a population
    is a model short of entities, not an entity."""
    populations = {g.step.seeder.label for g in gaps if g.step.is_population}
    entities = {(g.step.seeder.label, g.pk) for g in gaps if not g.step.is_population}
    parts = []
    if populations:
        parts.append(plural(len(populations), "population", "populations") + " below the minimum")
    if entities:
        parts.append(plural(len(entities), "entity", "entities") + " needing more data")
    return " and ".join(parts)


def _gap_lines(gaps: list[Gap], indent: str) -> list[str]:
    lines: list[str] = []
    by_step: OrderedDict[str, list[Gap]] = OrderedDict()
    for gap in gaps:
        by_step.setdefault(gap.step.id, []).append(gap)
    for step_id, step_gaps in by_step.items():
        needed = sum(g.missing for g in step_gaps)
        over = sum(1 for g in step_gaps if g.over_maximum)
        text = f"{indent}- {step_id}: {plural(needed, 'item', 'items')} needed"
        if step_gaps[0].step.is_population:
            text += f" (population {step_gaps[0].current}/{step_gaps[0].required})"
        else:
            text += f" across {plural(len(step_gaps), 'entity', 'entities')}"
        if over:
            text += f", {over} above the maximum"
        lines.append(text)
    return lines


def _entity_lines(gaps: list[Gap], indent: str, cap: int | None) -> list[str]:
    entities: OrderedDict[tuple[str, Any], list[Gap]] = OrderedDict()
    for gap in gaps:
        if not gap.step.is_population:
            entities.setdefault((gap.step.seeder.label, gap.pk), []).append(gap)
    per_model: OrderedDict[str, list[list[Gap]]] = OrderedDict()
    for (label, _pk), entity_gaps in entities.items():
        per_model.setdefault(label, []).append(entity_gaps)
    lines = []
    for label, items in per_model.items():
        for entity_gaps in items[:cap]:
            name = entity_gaps[0].label
            parts = ", ".join(
                f"{g.step.name} {g.current}/{g.required}" + (" (over)" if g.over_maximum else "")
                for g in entity_gaps
            )
            lines.append(f"{indent}{label} {name}: {parts}")
        if cap is not None and len(items) > cap:
            lines.append(f"{indent}... and {len(items) - cap} more {label}")
    return lines


def render_text(
    report: SeedReport,
    *,
    title: str = "mentara-seed: dynamic database seeding",
    verbosity: int = 1,
) -> str:
    entity_cap = ENTITY_LINES_PER_MODEL.get(verbosity)
    remaining_cap = REMAINING_LINES.get(verbosity)
    lines = [title, "=" * len(title)]
    lines.append(f"Mode: {report.mode}" + (f" (scale {report.scale})" if report.scale != 1 else ""))
    lines.append(f"Database: {report.database}")
    lines.append(f"Seed: {report.seed}   Now: {report.now.isoformat()}")
    lines.append(f"Audit only: {_yes(report.audit_only)}   Dry run: {_yes(report.dry_run)}")
    lines.append("")
    lines.append("Step 1: Auditing existing database...")
    for label, total in report.counts_before.items():
        lines.append(f"  {label}: {total}")
    lines.append("")
    lines.append("Step 2: Identifying data gaps...")
    if report.gaps:
        lines.append(f"  Found {_gaps_summary(report.gaps)}:")
        lines.extend(_gap_lines(report.gaps, "    "))
        lines.extend(_entity_lines(report.gaps, "    ", entity_cap))
    else:
        lines.append("  No gaps: every requirement is met.")
    if report.audit_only:
        lines.append("")
        lines.append("Audit only: nothing was written.")
    else:
        lines.append("")
        verb = "Would add" if report.dry_run else "Added"
        lines.append(
            "Step 3: Filling data gaps..." + (" (dry run, rolled back)" if report.dry_run else "")
        )
        if not report.steps and not any(gap.missing for gap in report.gaps):
            lines.append("  Nothing to add: the rows counted in Step 1 already meet every minimum.")
        elif not report.steps:
            lines.append("  Nothing was added.")
        for result in report.steps:
            added = ", ".join(f"{n} {label}" for label, n in result.added.items())
            target = (
                ""
                if result.step_id.endswith(".population")
                else f" ({plural(result.entities, 'entity', 'entities')})"
            )
            timing = f" in {result.seconds:.2f}s" if verbosity >= 3 else ""
            if verbosity >= 3 and result.workers > 1:
                timing += f" by {result.workers} workers"
            lines.append(f"  {result.step_id}{target}: {verb.lower()} {added}{timing}")
        lines.append("")
        lines.append("Step 4: Verifying requirements...")
        if report.remaining:
            lines.append(f"  {plural(len(report.remaining), 'gap remains', 'gaps remain')}:")
            shown = report.remaining[:remaining_cap]
            for gap in shown:
                lines.append(
                    f"    - {gap.step.id} {gap.label}: {gap.current}/{gap.required}: "
                    f"{report.reason(gap)}"
                )
            if len(report.remaining) > len(shown):
                lines.append(f"    ... and {len(report.remaining) - len(shown)} more")
        else:
            lines.append("  No gaps remain.")
    if report.warnings:
        lines.append("")
        lines.append(f"{plural(len(report.warnings), 'Warning', 'Warnings')}:")
        lines.extend(f"  - {warning}" for warning in report.warnings)
    lines.append("")
    lines.append("SEEDING REPORT")
    lines.append("==============")
    lines.append(f"Satisfied: {_yes(report.satisfied)}")
    lines.append(f"Duration: {report.duration_s:.2f}s")
    if not report.audit_only:
        lines.append("")
        lines.append("Items that would be added:" if report.dry_run else "Items added:")
        if report.added:
            for label, n in report.added.items():
                # Every model written has its total here: counts covers every key of added.
                lines.append(f"  - {label}: {n} (now {report.counts.get(label, n)})")
        else:
            lines.append("  (none)")
    lines.append("")
    if report.satisfied:
        lines.append("All minimum requirements satisfied!")
    else:
        lines.append("Some requirements are not satisfied.")
    return "\n".join(lines) + "\n"
