"""Seeders for the test-only library app. Not named seeding.py on purpose: tests register them on
their own SeedRegistry, so the demo's global registry stays Mentara's alone."""

from collections.abc import Sequence

from mentara_seed import FillContext, Gap, Levels, Requirement, Seeder, SeedRegistry

from .models import Author, Book

TITLES = ("A Quiet Mind", "Small Steps", "The Long Walk Home", "Notes on Rest", "Morning Pages")


class AuthorSeeder(Seeder):
    population = Levels(light=2, medium=5, heavy=50)
    key_field = "email"
    label_field = "name"
    requirements = (Requirement("books", minimum=Levels(1, 3, 10), count="books"),)

    def create(self, ctx: FillContext, count: int) -> None:
        for n in range(ctx.ordinal_start, ctx.ordinal_start + count):
            rng = ctx.rng("population", n)
            ctx.add(
                Author,
                name=f"{rng.first_name()} {rng.last_name()}",
                email=f"author{n}@example.org",
            )

    def fill_books(self, ctx: FillContext, gaps: Sequence[Gap]) -> None:
        for gap in gaps:
            for ordinal in range(gap.current, gap.current + gap.missing):
                rng = ctx.rng(gap.key, "books", ordinal)
                ctx.add(Book, author_id=gap.pk, title=rng.choice(TITLES))


def library_registry() -> SeedRegistry:
    registry = SeedRegistry()
    registry.register(Author, AuthorSeeder)
    return registry
