"""The words of a snapshot, composed by template from its figures and movers (no language
model): the movers as sentences, the summary paragraph, the headline rows as printed, and the
sparkline of each figure. Every fixed word comes from the catalogue (`pipelines/i18n.py`).
"""

from __future__ import annotations

from html import escape
from typing import Any

from pipelines.i18n import fmt_period, t
from pipelines.reports.labels import (
    SHARE,
    Names,
    fmt_change,
    fmt_growth,
    fmt_value,
    lower_first,
    tone,
)
from pipelines.reports.snapshot import Figure, Mover, Snapshot

SUMMARY_FIGURES = 3  # figures named in the summary paragraph
_BEFORE = {"week": "week_before", "month": "month_before", "day": "day_before"}


def before_words(period_kind: str | None, language: str) -> str:
    """`the week before` / 上周: what "previous period" means for this report."""
    return t(_BEFORE.get(period_kind or "", "period_before"), language)


def period_words(snapshot: Snapshot, language: str) -> str:
    """The period as printed: 2026-W32, 2026-08 / 2026年8月, or the data clock's date."""
    if snapshot.period is not None:
        return fmt_period(snapshot.period.kind, snapshot.period.start, language)
    return t("as_of", language, date=snapshot.clock or "—")


def mover_sentence(mover: Mover, names: Names, language: str, period_kind: str | None) -> str:
    """`E-mail: net revenue ¥162,673.00, +¥93,140.00 (+134.0%) on the week before`; a rate
    moves in points: `E-mail: OTIF rate 91.0%, −4.5 pp on the week before`."""
    values = {
        "name": mover.name,
        "measure": lower_first(mover.label, language),
        "value": fmt_value(mover.current, mover.kind, names, language),
        "change": fmt_change(mover.change, mover.kind, names, language),
        "before": before_words(period_kind, language),
    }
    if mover.previous is None:
        return t("mover_sentence_new", language, **values)
    if mover.kind == SHARE:
        return t("mover_sentence_points", language, **values)
    if mover.previous == 0 or mover.change is None:
        return t("mover_sentence_no_pct", language, **values)
    pct = mover.change / abs(mover.previous)
    return t("mover_sentence", language, pct=fmt_growth(pct), **values)


def figure_row(figure: Figure, names: Names, language: str) -> dict[str, str]:
    """A headline figure as printed: its value and its three changes."""

    def change(base: float | None) -> str:
        amount, pct = figure.change(base)
        if amount is None:
            return "—"
        text = fmt_change(amount, figure.kind, names, language)
        return text if pct is None or figure.kind == SHARE else f"{text} ({fmt_growth(pct)})"

    return {
        "label": figure.label,
        "value": fmt_value(figure.value, figure.kind, names, language),
        "vs_previous": change(figure.previous),
        "vs_year_ago": change(figure.year_ago),
        "vs_previous_snapshot": change(figure.previous_snapshot),
        "direction": tone(figure.measure, figure.change(figure.previous)[0]),
    }


def summary(snapshot: Snapshot, language: str) -> str:
    """One paragraph: the period, the first headline figures with their change on the
    period before, and the largest mover."""
    names = snapshot.names
    kind = snapshot.period.kind if snapshot.period else None
    before = before_words(kind, language)
    parts = []
    for figure in snapshot.headline()[:SUMMARY_FIGURES]:
        value = fmt_value(figure.value, figure.kind, names, language)
        amount, pct = figure.change(figure.previous)
        # A rate's change reads in points (+1.2 pp), not as the growth of the rate itself.
        shown = fmt_change(amount, SHARE, names, language) if figure.kind == SHARE else None
        if amount is None or (pct is None and shown is None):
            parts.append(t("summary_figure_no_base", language, label=figure.label, value=value))
        else:
            parts.append(
                t(
                    "summary_figure",
                    language,
                    label=lower_first(figure.label, language) if parts else figure.label,
                    value=value,
                    change=shown or fmt_growth(pct),
                    before=before,
                )
            )
    joiner = "；" if language == "zh" else "; "
    text = t(
        "summary_opening",
        language,
        title=snapshot.spec.title.get(language),
        period=period_words(snapshot, language),
    ) + joiner.join(parts)
    text += "。" if language == "zh" else "."
    if snapshot.movers:
        sentence = mover_sentence(snapshot.movers[0], names, language, kind)
        text += t("summary_largest", language, sentence=sentence)
    elif snapshot.ranked:
        text += t("summary_quiet", language)
    return text


def sparkline(
    values: tuple[float | None, ...] | list[Any], width: int = 110, height: int = 26
) -> str:
    """An inline SVG line of the last periods (works in the HTML page and in the PDF)."""
    points = [(i, float(v)) for i, v in enumerate(values) if v is not None]
    if len(points) < 2:
        return ""
    low = min(v for _, v in points)
    high = max(v for _, v in points)
    span = (high - low) or 1.0
    step = (width - 6) / max(len(values) - 1, 1)
    coords = [(3 + i * step, height - 3 - (v - low) / span * (height - 6)) for i, v in points]
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
    last_x, last_y = coords[-1]
    return (
        f'<svg class="spark" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(str(len(values)))}">'
        f'<polyline fill="none" stroke="#1f77b4" stroke-width="1.5" points="{line}"/>'
        f'<circle cx="{last_x:.1f}" cy="{last_y:.1f}" r="2.2" fill="#1f77b4"/></svg>'
    )
