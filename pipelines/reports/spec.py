"""Report and alert specs: a YAML file read into typed objects, each value with its line.

A spec names marts, columns, aggregations and values; it never holds SQL. This module checks
the shape of a spec (types, enums, identifiers, cron, addresses); `catalog.py` then checks its
marts and columns against what the serving file really holds. Every problem is reported with
the spec file, the line and what is allowed.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from pipelines.i18n import LANGS
from pipelines.reports.cron import cron_problem

KINDS = ("report", "alert")
PERIODS = ("day", "week", "month")
LANGUAGES = LANGS  # a report is written in a language the catalogue has
CHARTS = ("line", "bar", "stacked_bar", "pie", "table", "heatmap")
# ratio: sum(numerator) / sum(denominator), the one right way to add up a rate over rows.
AGGREGATIONS = ("sum", "avg", "min", "max", "count", "count_distinct", "ratio")
FILTER_OPS = ("=", "!=", "<", "<=", ">", ">=", "in", "not_in", "is_null", "not_null")
ALERT_OPS = ("above", "below", "grew", "rose_above_baseline")
MAX_LIMIT = 10_000

IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
# Deliberately narrow: an address goes into a mail header, so no spaces, commas or newlines.
EMAIL = re.compile(r"^[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(\.[A-Za-z0-9-]{1,63})+$")
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
MAX_TEXT = 200


@dataclass(frozen=True)
class Text:
    """A label in English and Chinese (either may fall back to the other)."""

    en: str
    zh: str

    def get(self, language: str) -> str:
        return self.zh if language == "zh" else self.en


@dataclass(frozen=True)
class Filter:
    column: str
    op: str
    value: Any = None
    other_column: str | None = None
    where: str = ""


@dataclass(frozen=True)
class Measure:
    column: str
    agg: str
    label: Text
    where: str = ""
    # A ratio's parts: the rate `column` is sum(numerator) / sum(denominator) over the rows,
    # as the mart defines it row by row (every rate sits beside its numerator and denominator).
    numerator: str | None = None
    denominator: str | None = None

    @property
    def alias(self) -> str:
        """Output column name: the mart's own name when summed or a ratio, else prefixed by
        the agg."""
        return self.column if self.agg in ("sum", "ratio") else f"{self.agg}_{self.column}"


@dataclass(frozen=True)
class Sort:
    column: str
    descending: bool
    where: str = ""


@dataclass(frozen=True)
class Section:
    id: str
    title: Text
    mart: str
    date_column: str | None
    measures: tuple[Measure, ...]
    dimensions: tuple[str, ...]
    filters: tuple[Filter, ...]
    sort: tuple[Sort, ...]
    limit: int | None
    chart: str
    headline: bool = True
    where: str = ""
    # Left out, with a note, where its mart is not published or has no rows for the period
    # (data a business may not have: a plan, a replay of it), instead of failing the report.
    optional: bool = False


@dataclass(frozen=True)
class HeadlineRef:
    """One headline figure chosen in the spec: a measure (its alias or column) of a section."""

    section: str
    measure: str
    where: str = ""


@dataclass(frozen=True)
class Condition:
    """An alert condition: one measure over a mart compared with a threshold or its past."""

    mart: str
    measure: Measure
    op: str
    threshold: float | None
    filters: tuple[Filter, ...]
    date_column: str | None
    group_by: tuple[str, ...]
    baseline_periods: int
    show_columns: tuple[str, ...]
    limit: int
    where: str = ""


@dataclass(frozen=True)
class Spec:
    name: str
    kind: str
    title: Text
    language: str
    period: str
    schedule: str | None
    recipients: tuple[str, ...]
    file_drop: bool
    sections: tuple[Section, ...]
    condition: Condition | None
    source: Path
    headline: tuple[HeadlineRef, ...] = ()
    lines: dict[str, int] = field(default_factory=dict, compare=False, repr=False)

    def line(self, where: str) -> int:
        """The line of a dotted path such as `sections[0].mart` (or of its nearest parent)."""
        while where and where not in self.lines:
            where = where.rsplit(".", 1)[0] if "." in where else ""
        return self.lines.get(where, 1)


@dataclass(frozen=True)
class Problem:
    source: Path
    line: int
    where: str
    message: str
    allowed: tuple[str, ...] = ()

    def __str__(self) -> str:
        text = f"{self.source}:{self.line}: {self.where or 'spec'}: {self.message}"
        if self.allowed:
            text += f" (allowed: {', '.join(self.allowed)})"
        return text


class SpecError(ValueError):
    """A spec is not valid; `problems` says where and what is allowed."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


# --- reading YAML with line numbers -----------------------------------------------------


def _plain(node: yaml.Node, where: str, lines: dict[str, int]) -> Any:
    """Turn a composed YAML node into plain values, recording the line of every path."""
    lines[where] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            out[key] = _plain(value_node, f"{where}.{key}" if where else key, lines)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_plain(item, f"{where}[{i}]", lines) for i, item in enumerate(node.value)]
    # Scalars: resolve with the safe constructor (ints, floats, bools, dates, null).
    return yaml.SafeLoader("").construct_object(node, deep=True)  # type: ignore[no-untyped-call]


def read_yaml(path: Path) -> tuple[Any, dict[str, int]]:
    return read_yaml_text(path.read_text(encoding="utf-8"), path)


def read_yaml_text(text: str, path: Path) -> tuple[Any, dict[str, int]]:
    """Like `read_yaml` for text not (yet) in a file; `path` names it in problems."""
    lines: dict[str, int] = {}
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        raise SpecError([Problem(path, line, "", f"not valid YAML: {exc}")]) from exc
    if node is None:
        return {}, lines
    return _plain(node, "", lines), lines


# --- shape checks ---------------------------------------------------------------------------


class _Checker:
    def __init__(self, source: Path, lines: dict[str, int]) -> None:
        self.source = source
        self.lines = lines
        self.problems: list[Problem] = []

    def fail(self, where: str, message: str, allowed: tuple[str, ...] = ()) -> None:
        probe = where
        while probe and probe not in self.lines:
            probe = probe.rsplit(".", 1)[0] if "." in probe else ""
        self.problems.append(
            Problem(self.source, self.lines.get(probe, 1), where, message, allowed)
        )

    def mapping(self, value: Any, where: str, keys: tuple[str, ...]) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.fail(where, "must be a mapping")
            return {}
        for key in value:
            if key not in keys:
                self.fail(f"{where}.{key}" if where else key, f"unknown key {key!r}", keys)
        return value

    def identifier(self, value: Any, where: str) -> str:
        if not isinstance(value, str) or not IDENTIFIER.match(value):
            self.fail(where, f"{value!r} is not a name (lowercase letters, digits, _)")
            return ""
        return value

    def choice(self, value: Any, where: str, allowed: tuple[str, ...]) -> str:
        if value not in allowed:
            self.fail(where, f"{value!r} is not allowed", allowed)
            return allowed[0]
        return str(value)

    def text(self, value: Any, where: str, required: bool = True) -> str:
        if value is None and not required:
            return ""
        if not isinstance(value, str) or not value.strip():
            self.fail(where, "must be a non-empty text")
            return ""
        if CONTROL.search(value) or len(value) > MAX_TEXT:
            self.fail(where, f"must be one line of at most {MAX_TEXT} printable characters")
            return ""
        return value

    def label(self, value: Any, where: str, fallback: str = "") -> Text:
        if value is None and fallback:
            return Text(fallback, fallback)
        if isinstance(value, str):
            text = self.text(value, where)
            return Text(text, text)
        data = self.mapping(value, where, LANGUAGES)
        en = self.text(data.get("en"), f"{where}.en", required="zh" not in data)
        zh = self.text(data.get("zh"), f"{where}.zh", required="en" not in data)
        return Text(en or zh, zh or en)

    def limit(self, value: Any, where: str, default: int | None) -> int | None:
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_LIMIT:
            self.fail(where, f"must be a whole number from 1 to {MAX_LIMIT}")
            return default
        return value

    def names(self, value: Any, where: str) -> tuple[str, ...]:
        if value is None:
            return ()
        if not isinstance(value, list):
            self.fail(where, "must be a list of column names")
            return ()
        return tuple(self.identifier(v, f"{where}[{i}]") for i, v in enumerate(value))

    def items(self, value: Any, where: str) -> list[tuple[str, Any]]:
        if value is None:
            return []
        if not isinstance(value, list):
            self.fail(where, "must be a list")
            return []
        return [(f"{where}[{i}]", item) for i, item in enumerate(value)]


def _scalar_ok(value: Any) -> bool:
    if isinstance(value, str):
        return not CONTROL.search(value) and len(value) <= MAX_TEXT
    return isinstance(value, bool | int | float | dt.date)


def _filter(check: _Checker, raw: Any, where: str) -> Filter:
    data = check.mapping(raw, where, ("column", "op", "value", "other_column"))
    column = check.identifier(data.get("column"), f"{where}.column")
    op = check.choice(data.get("op", "="), f"{where}.op", FILTER_OPS)
    value = data.get("value")
    other = data.get("other_column")
    if other is not None:
        other = check.identifier(other, f"{where}.other_column")
        if op in ("in", "not_in", "is_null", "not_null") or value is not None:
            check.fail(where, "other_column compares with one column: use =, !=, <, <=, >, >=")
    elif op in ("in", "not_in"):
        if not isinstance(value, list) or not value or not all(_scalar_ok(v) for v in value):
            check.fail(f"{where}.value", f"{op} needs a non-empty list of plain values")
    elif op in ("is_null", "not_null"):
        if value is not None:
            check.fail(f"{where}.value", f"{op} takes no value")
    elif value is None or not _scalar_ok(value):
        check.fail(f"{where}.value", "must be one plain value (text, number, true/false, date)")
    return Filter(column, op, value, other, where)


def _measure(check: _Checker, raw: Any, where: str) -> Measure:
    if isinstance(raw, str):
        raw = {"column": raw}
    data = check.mapping(raw, where, ("column", "agg", "label", "numerator", "denominator"))
    column = check.identifier(data.get("column"), f"{where}.column")
    agg = check.choice(data.get("agg", "sum"), f"{where}.agg", AGGREGATIONS)
    parts: dict[str, str | None] = {"numerator": None, "denominator": None}
    for part in parts:
        if agg == "ratio":
            parts[part] = check.identifier(data.get(part), f"{where}.{part}")
        elif part in data:
            check.fail(f"{where}.{part}", f"only a ratio has a {part} (agg: ratio)")
    fallback = column.replace("_", " ")
    label = check.label(data.get("label"), f"{where}.label", fallback)
    return Measure(column, agg, label, where, **parts)


def _sort(check: _Checker, raw: Any, where: str) -> Sort:
    if isinstance(raw, str):
        raw = {"column": raw}
    data = check.mapping(raw, where, ("column", "descending"))
    descending = data.get("descending", False)
    if not isinstance(descending, bool):
        check.fail(f"{where}.descending", "must be true or false")
    column = check.identifier(data.get("column"), f"{where}.column")
    return Sort(column, bool(descending), where)


SECTION_KEYS = (
    "id",
    "title",
    "mart",
    "date_column",
    "measures",
    "dimensions",
    "filters",
    "sort",
    "limit",
    "chart",
    "headline",
    "optional",
)


def _section(check: _Checker, raw: Any, where: str) -> Section:
    data = check.mapping(raw, where, SECTION_KEYS)
    section_id = check.identifier(data.get("id"), f"{where}.id")
    date_column = data.get("date_column")
    measures = tuple(
        _measure(check, m, w) for w, m in check.items(data.get("measures"), f"{where}.measures")
    )
    if not measures:
        check.fail(f"{where}.measures", "a section needs at least one measure")
    chart = check.choice(data.get("chart", "table"), f"{where}.chart", CHARTS)
    dimensions = check.names(data.get("dimensions"), f"{where}.dimensions")
    headline = data.get("headline", True)
    optional = data.get("optional", False)
    for key, flag in (("headline", headline), ("optional", optional)):
        if not isinstance(flag, bool):
            check.fail(f"{where}.{key}", "must be true or false")
    needed = {"line": 1, "bar": 1, "stacked_bar": 2, "pie": 1, "heatmap": 2, "table": 0}[chart]
    if len(dimensions) < needed:
        check.fail(f"{where}.dimensions", f"a {chart} chart needs {needed} dimension(s)")
    return Section(
        id=section_id,
        title=check.label(data.get("title"), f"{where}.title", section_id.replace("_", " ")),
        mart=check.identifier(data.get("mart"), f"{where}.mart"),
        date_column=None
        if date_column is None
        else check.identifier(date_column, f"{where}.date_column"),
        measures=measures,
        dimensions=dimensions,
        filters=tuple(
            _filter(check, f, w) for w, f in check.items(data.get("filters"), f"{where}.filters")
        ),
        sort=tuple(_sort(check, s, w) for w, s in check.items(data.get("sort"), f"{where}.sort")),
        limit=check.limit(data.get("limit"), f"{where}.limit", None),
        chart=chart,
        headline=bool(headline),
        where=where,
        optional=bool(optional),
    )


CONDITION_KEYS = (
    "mart",
    "measure",
    "op",
    "threshold",
    "filters",
    "date_column",
    "group_by",
    "baseline_periods",
    "show_columns",
    "limit",
)


def _condition(check: _Checker, raw: Any, where: str) -> Condition:
    data = check.mapping(raw, where, CONDITION_KEYS)
    op = check.choice(data.get("op"), f"{where}.op", ALERT_OPS)
    threshold = data.get("threshold")
    if op in ("above", "below") and (
        isinstance(threshold, bool) or not isinstance(threshold, int | float)
    ):
        check.fail(f"{where}.threshold", f"{op} needs a number")
    date_column = data.get("date_column")
    if op == "rose_above_baseline" and date_column is None:
        check.fail(f"{where}.date_column", "rose_above_baseline needs the column of the periods")
    periods = check.limit(data.get("baseline_periods"), f"{where}.baseline_periods", 8) or 8
    return Condition(
        mart=check.identifier(data.get("mart"), f"{where}.mart"),
        measure=_measure(check, data.get("measure"), f"{where}.measure"),
        op=op,
        threshold=float(threshold) if isinstance(threshold, int | float) else None,
        filters=tuple(
            _filter(check, f, w) for w, f in check.items(data.get("filters"), f"{where}.filters")
        ),
        date_column=None
        if date_column is None
        else check.identifier(date_column, f"{where}.date_column"),
        group_by=check.names(data.get("group_by"), f"{where}.group_by"),
        baseline_periods=periods,
        show_columns=check.names(data.get("show_columns"), f"{where}.show_columns"),
        limit=check.limit(data.get("limit"), f"{where}.limit", 50) or 50,
        where=where,
    )


SPEC_KEYS = (
    "name",
    "kind",
    "title",
    "language",
    "period",
    "schedule",
    "recipients",
    "file_drop",
    "sections",
    "condition",
    "headline",
)


def _headline(
    check: _Checker, raw: Any, where: str, sections: tuple[Section, ...]
) -> HeadlineRef | None:
    """`{section: ID, measure: NAME}` or the short `ID.NAME`; NAME is a measure's column or
    its output name (count_customer_id); the section must have that measure."""
    if isinstance(raw, str) and "." in raw:
        section_id, _, measure = raw.partition(".")
        raw = {"section": section_id, "measure": measure}
    if not isinstance(raw, dict):
        check.fail(where, "must be {section: ID, measure: NAME} or ID.NAME")
        return None
    data = check.mapping(raw, where, ("section", "measure"))
    by_id = {s.id: s for s in sections}
    section_id = data.get("section")
    section = by_id.get(section_id) if isinstance(section_id, str) else None
    if section is None:
        check.fail(f"{where}.section", f"no section {section_id!r}", tuple(by_id))
        return None
    names = {m.alias: m.alias for m in section.measures}
    for m in section.measures:
        names.setdefault(m.column, m.alias)
    measure = data.get("measure")
    if not isinstance(measure, str) or measure not in names:
        check.fail(
            f"{where}.measure", f"section {section.id!r} has no measure {measure!r}", tuple(names)
        )
        return None
    return HeadlineRef(section.id, names[measure], where)


def parse_spec(raw: Any, lines: dict[str, int], source: Path) -> Spec:
    """Check the shape of a spec read from YAML; raise SpecError listing every problem."""
    check = _Checker(source, lines)
    data = check.mapping(raw, "", SPEC_KEYS)
    kind = check.choice(data.get("kind", "report"), "kind", KINDS)
    schedule = data.get("schedule")
    if schedule is not None:
        problem = cron_problem(schedule) if isinstance(schedule, str) else "must be a cron text"
        if problem:
            check.fail("schedule", f"{schedule!r}: {problem}")
    elif kind == "report":
        check.fail("schedule", "a report needs a cron schedule, e.g. '0 7 * * 1'")
    recipients = []
    for where, address in check.items(data.get("recipients"), "recipients"):
        if not isinstance(address, str) or not EMAIL.match(address):
            check.fail(where, f"{address!r} is not an e-mail address")
        else:
            recipients.append(address)
    file_drop = data.get("file_drop", False)
    if not isinstance(file_drop, bool):
        check.fail("file_drop", "must be true or false")
    sections = tuple(
        _section(check, s, w) for w, s in check.items(data.get("sections"), "sections")
    )
    condition = _condition(check, data["condition"], "condition") if "condition" in data else None
    if kind == "report" and not sections:
        check.fail("sections", "a report needs at least one section")
    if kind == "alert" and condition is None:
        check.fail("condition", "an alert needs a condition")
    headline = tuple(
        ref
        for w, h in check.items(data.get("headline"), "headline")
        if (ref := _headline(check, h, w, sections)) is not None
    )
    chosen: set[tuple[str, str]] = set()
    for ref in headline:
        if (ref.section, ref.measure) in chosen:
            check.fail(ref.where, f"{ref.section}.{ref.measure} is chosen twice")
        chosen.add((ref.section, ref.measure))
    seen: set[str] = set()
    for section in sections:
        if section.id in seen:
            check.fail(f"{section.where}.id", f"section id {section.id!r} is used twice")
        seen.add(section.id)
    spec = Spec(
        name=check.identifier(data.get("name"), "name"),
        kind=kind,
        title=check.label(data.get("title"), "title"),
        language=check.choice(data.get("language", "en"), "language", LANGUAGES),
        period=check.choice(
            data.get("period", "day" if kind == "alert" else None), "period", PERIODS
        ),
        schedule=schedule if isinstance(schedule, str) else None,
        recipients=tuple(recipients),
        file_drop=bool(file_drop),
        sections=sections,
        condition=condition,
        source=source,
        headline=headline,
        lines=lines,
    )
    if check.problems:
        raise SpecError(check.problems)
    return spec


def load_spec(path: Path) -> Spec:
    raw, lines = read_yaml(path)
    return parse_spec(raw, lines, path)


BUILTIN_DIR = Path(__file__).with_name("specs")


def builtin_spec_paths() -> list[Path]:
    return sorted(BUILTIN_DIR.glob("*.yaml"))
