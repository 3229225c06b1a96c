"""A median aggregate for the ORM: PostgreSQL's percentile_cont(0.5), and on SQLite (which has
none) the same interpolated median as a Python aggregate registered on the connection."""

from __future__ import annotations

import statistics

from django.db.models import Aggregate, FloatField

SQLITE_FUNCTION = "assent_median"


class _SQLiteMedian:
    """SQLite calls step() per row of the group and finalize() once."""

    def __init__(self) -> None:
        self.values: list[float] = []

    def step(self, value) -> None:
        if value is not None:
            self.values.append(value)

    def finalize(self):
        return statistics.median(self.values) if self.values else None


class Median(Aggregate):
    """The median of the group, interpolated between the two middle values when even."""

    function = SQLITE_FUNCTION
    name = "Median"
    output_field = FloatField()
    allow_distinct = False

    def as_postgresql(self, compiler, connection, **extra):
        template = "percentile_cont(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
        return self.as_sql(compiler, connection, template=template, **extra)

    def as_sqlite(self, compiler, connection, **extra):
        # Registered per connection, lazily: the call is cheap and idempotent.
        connection.ensure_connection()
        connection.connection.create_aggregate(SQLITE_FUNCTION, 1, _SQLiteMedian)
        return self.as_sql(compiler, connection, **extra)
