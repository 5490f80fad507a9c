"""Orders that do not depend on the database's collation.

Seeders pick among existing rows by rank in a stable order, so the same state gives the same
rows. A text column's order is its collation's: MySQL and MariaDB compare case-insensitively by
default ("Ada" beside "ada"), PostgreSQL by the database's locale, SQLite by code point.
``CodePointOrder("username")`` orders by Unicode code point everywhere, as Python's ``sorted``
does; any other column is left as it is.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Func


class CodePointOrder(Func):
    """A text column (or any expression of text) ordered by code point on every backend."""

    def __init__(self, expression: Any) -> None:
        super().__init__(expression)

    def get_group_by_cols(self) -> list[Any]:
        """The column itself, not the ordering expression: an aggregate query ordered by it
        (the audit) then groups by the entity's primary key alone where the database allows it
        (Django drops the columns of a table whose key is grouped), as the groups are the same.
        Grouped by the expression too, MariaDB aggregates the join through a temporary table:
        the audit of 122k comments by 2,000 authors took 0.40 s instead of 0.06 s."""
        return self.get_source_expressions()[0].get_group_by_cols()

    def _source(self, compiler: Any, connection: Any) -> tuple[str, list[Any], bool]:
        source = self.get_source_expressions()[0]
        sql, params = compiler.compile(source)
        is_text = isinstance(source.output_field, models.CharField | models.TextField)
        return sql, list(params), is_text

    def as_sql(self, compiler: Any, connection: Any, **extra_context: Any) -> tuple[str, list]:
        # SQLite's default collation (BINARY) compares UTF-8 bytes: code point order already.
        sql, params, _is_text = self._source(compiler, connection)
        return sql, params

    def as_mysql(self, compiler: Any, connection: Any, **extra_context: Any) -> tuple[str, list]:
        sql, params, is_text = self._source(compiler, connection)
        # The UTF-8 bytes, compared as bytes: code point order, trailing spaces included.
        return (f"CAST({sql} AS BINARY)" if is_text else sql), params

    def as_postgresql(
        self, compiler: Any, connection: Any, **extra_context: Any
    ) -> tuple[str, list]:
        sql, params, is_text = self._source(compiler, connection)
        return (f'({sql}) COLLATE "C"' if is_text else sql), params
