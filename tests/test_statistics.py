"""PostgreSQL's planner statistics after a run: each step's ANALYZE samples lightly (the audits
only need row counts and rough distributions), and the run ends with one ANALYZE at the
database's own target of every table it loaded."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

import mentara_seed
from mentara_seed.pipeline import STEP_STATISTICS_TARGET
from project.mentara.models import Comment
from tests.conftest import NOW


@pytest.mark.backend("postgresql")
@pytest.mark.django_db
def test_steps_analyze_lightly_and_the_run_ends_with_one_full_analyze() -> None:
    with CaptureQueriesContext(connection) as queries:
        report = mentara_seed.seed(mode="heavy", scale=1, seed=3, now=NOW)
    assert report.satisfied
    statements = [q["sql"] for q in queries.captured_queries]
    analyzes = [i for i, sql in enumerate(statements) if sql.startswith("ANALYZE")]
    assert len(analyzes) > 3
    *steps, last = analyzes
    lowered = "set_config('default_statistics_target', "
    assert all(
        lowered in statements[i - 1] and "current_setting" in statements[i - 1] for i in steps
    )
    assert all(lowered in statements[i + 1] for i in steps)  # and put back
    assert "current_setting" not in statements[last - 1]  # the final one at the database's target
    assert all(not sql.startswith("ANALYZE") for sql in statements[last + 1 :])
    loaded = {
        connection.ops.quote_name(label.split(".")[0] + "_" + label.split(".")[1].lower())
        for label, count in report.added.items()
        if count >= 500
    }
    assert set(statements[last].removeprefix("ANALYZE ").split(", ")) == loaded

    # What it leaves is a full sample: a histogram finer than the light target allows.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT cardinality(histogram_bounds::text::text[]) FROM pg_stats "
            "WHERE tablename = %s AND attname = 'created_at'",
            [Comment._meta.db_table],
        )
        (bounds,) = cursor.fetchone()
    assert bounds > STEP_STATISTICS_TARGET + 1
