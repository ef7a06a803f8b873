"""The allow-list: the marts and columns the serving file really holds, and checks against it.

Identifiers in report SQL come only from here (read from `information_schema`, schema
`marts`), so a spec can name nothing that is not a published mart column.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from pipelines.reports.spec import Condition, Filter, Measure, Problem, Section, Spec, SpecError

SCHEMA = "marts"
NUMERIC = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "FLOAT", "DOUBLE", "DECIMAL")
TEMPORAL = ("DATE", "TIMESTAMP")


@dataclass(frozen=True)
class Catalog:
    """mart -> column -> DuckDB type, for schema `marts` of one serving file."""

    marts: dict[str, dict[str, str]]

    def columns(self, mart: str) -> dict[str, str]:
        return self.marts.get(mart, {})

    def is_numeric(self, mart: str, column: str) -> bool:
        return self.columns(mart).get(column, "").upper().startswith(NUMERIC)

    def is_temporal(self, mart: str, column: str) -> bool:
        return self.columns(mart).get(column, "").upper().startswith(TEMPORAL)


def load_catalog(con: duckdb.DuckDBPyConnection) -> Catalog:
    rows = con.execute(
        "select table_name, column_name, data_type from information_schema.columns "
        "where table_schema = ? order by table_name, ordinal_position",
        [SCHEMA],
    ).fetchall()
    marts: dict[str, dict[str, str]] = {}
    for table, column, data_type in rows:
        marts.setdefault(table, {})[column] = data_type
    return Catalog(marts)


class _Validator:
    def __init__(self, spec: Spec, catalog: Catalog) -> None:
        self.spec = spec
        self.catalog = catalog
        self.problems: list[Problem] = []

    def fail(self, where: str, message: str, allowed: tuple[str, ...] = ()) -> None:
        line = self.spec.line(where)
        self.problems.append(Problem(self.spec.source, line, where, message, allowed))

    def mart(self, mart: str, where: str) -> bool:
        if mart not in self.catalog.marts:
            self.fail(where, f"unknown mart {mart!r}", tuple(sorted(self.catalog.marts)))
            return False
        return True

    def column(self, mart: str, column: str, where: str) -> bool:
        allowed = self.catalog.columns(mart)
        if column not in allowed:
            self.fail(where, f"unknown column {column!r} of {mart}", tuple(allowed))
            return False
        return True

    def measure(self, mart: str, measure: Measure) -> None:
        if not self.column(mart, measure.column, f"{measure.where}.column"):
            return
        numbers = {"column": measure.column} if measure.agg in ("sum", "avg") else {}
        if measure.agg == "ratio":
            numbers = {"numerator": measure.numerator, "denominator": measure.denominator}
        numeric = tuple(c for c in self.catalog.columns(mart) if self.catalog.is_numeric(mart, c))
        for part, column in numbers.items():
            where = f"{measure.where}.{part}"
            if column is None or not self.column(mart, column, where):
                continue
            if column not in numeric:
                self.fail(where, f"{measure.agg} needs a number column", numeric)

    def filters(self, mart: str, filters: tuple[Filter, ...]) -> None:
        for flt in filters:
            self.column(mart, flt.column, f"{flt.where}.column")
            if flt.other_column is not None:
                self.column(mart, flt.other_column, f"{flt.where}.other_column")

    def date_column(self, mart: str, column: str | None, where: str) -> None:
        if column is None or not self.column(mart, column, where):
            return
        if not self.catalog.is_temporal(mart, column):
            dates = tuple(
                c for c in self.catalog.columns(mart) if self.catalog.is_temporal(mart, c)
            )
            self.fail(where, f"{column!r} is not a date column", dates)

    def section(self, section: Section) -> None:
        if section.optional and section.mart not in self.catalog.marts:
            return  # left out of the snapshot, with a note
        if not self.mart(section.mart, f"{section.where}.mart"):
            return
        self.date_column(section.mart, section.date_column, f"{section.where}.date_column")
        for measure in section.measures:
            self.measure(section.mart, measure)
        for i, dimension in enumerate(section.dimensions):
            self.column(section.mart, dimension, f"{section.where}.dimensions[{i}]")
        self.filters(section.mart, section.filters)
        outputs = set(section.dimensions) | {m.alias for m in section.measures}
        for sort in section.sort:
            if sort.column not in outputs:
                self.fail(
                    f"{sort.where}.column",
                    f"cannot sort by {sort.column!r}",
                    tuple(sorted(outputs)),
                )

    def condition(self, condition: Condition) -> None:
        if not self.mart(condition.mart, f"{condition.where}.mart"):
            return
        self.measure(condition.mart, condition.measure)
        self.filters(condition.mart, condition.filters)
        self.date_column(condition.mart, condition.date_column, f"{condition.where}.date_column")
        for i, column in enumerate(condition.group_by):
            self.column(condition.mart, column, f"{condition.where}.group_by[{i}]")
        for i, column in enumerate(condition.show_columns):
            self.column(condition.mart, column, f"{condition.where}.show_columns[{i}]")


def validate_spec(spec: Spec, catalog: Catalog) -> None:
    """Raise SpecError (file, line, allowed values) unless every name exists in the catalog."""
    validator = _Validator(spec, catalog)
    for section in spec.sections:
        validator.section(section)
    if spec.condition is not None:
        validator.condition(spec.condition)
    if validator.problems:
        raise SpecError(validator.problems)
