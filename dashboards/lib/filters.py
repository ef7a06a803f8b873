"""Global filters and the language, kept in the URL's query parameters so a view is a link.

The sidebar widgets own the values (in `st.session_state`, which survives page switches);
the URL is rewritten from them on every run, and read only when a session starts (a shared
link). Values from the URL are checked against the options the data offers: an unknown
channel is dropped, a bad date falls back to the default range, nothing reaches SQL as text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import streamlit as st

from pipelines.i18n import LANG_NAMES, LANGS, Lang, parse_lang, status, t
from pipelines.periods import Period, of_range

DEFAULT_DAYS = 90  # default window, ending at the data clock (never the wall clock)
DIMENSIONS = ("channel", "warehouse", "region", "category")
_STATE = {"lang": "f_lang", "dates": "f_dates"} | {dim: f"f_{dim}" for dim in DIMENSIONS}
_STARTED = "f_started"


@dataclass(frozen=True)
class Options:
    """What the filters may take, read from the published data."""

    first_date: date
    last_date: date  # the data clock
    channels: tuple[str, ...]
    warehouses: tuple[tuple[str, str], ...]  # (id, name)
    regions: tuple[str, ...]
    categories: tuple[str, ...]

    def values(self, dim: str) -> tuple[str, ...]:
        if dim == "warehouse":
            return tuple(wid for wid, _ in self.warehouses)
        return {"channel": self.channels, "region": self.regions, "category": self.categories}[dim]

    def default_range(self) -> tuple[date, date]:
        return max(self.first_date, self.last_date - timedelta(days=DEFAULT_DAYS - 1)), (
            self.last_date
        )


@dataclass(frozen=True)
class Filters:
    """The global filters every page honours (empty tuple = no restriction)."""

    start: date
    end: date
    channels: tuple[str, ...] = ()
    warehouses: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()

    @property
    def period(self) -> Period:
        """The range as a period (a calendar month, quarter or year when it is exactly one),
        which says what it compares with (pipelines.periods)."""
        return of_range(self.start, self.end)

    def params(self) -> dict[str, Any]:
        """Bound parameters for the queries (ends included); lists are None when unrestricted."""
        previous, year_ago = self.period.previous(), self.period.year_ago()
        return {
            "start": self.start,
            "end": self.end,
            "prev_start": previous.start,
            "prev_end": previous.last_day,
            "ya_start": year_ago.start,
            "ya_end": year_ago.last_day,
            "channels": list(self.channels) or None,
            "warehouses": list(self.warehouses) or None,
            "regions": list(self.regions) or None,
            "categories": list(self.categories) or None,
        }


def _parse_date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def from_query(query: dict[str, list[str]], options: Options) -> Filters:
    """Filters from URL parameters, every value checked against the options."""
    default_start, default_end = options.default_range()
    start = _parse_date((query.get("from") or [None])[0]) or default_start
    end = _parse_date((query.get("to") or [None])[0]) or default_end
    if start > end:
        start, end = end, start
    # the date widget refuses values outside the data: clamp a link's range into it
    start = min(max(start, options.first_date), options.last_date)
    end = min(max(end, options.first_date), options.last_date)
    chosen = {
        dim: tuple(v for v in query.get(dim, []) if v in options.values(dim)) for dim in DIMENSIONS
    }
    return Filters(
        start=start,
        end=end,
        channels=chosen["channel"],
        warehouses=chosen["warehouse"],
        regions=chosen["region"],
        categories=chosen["category"],
    )


def to_query(filters: Filters, lang: Lang) -> dict[str, str | list[str]]:
    """URL parameters of a view (what a shared link carries)."""
    query: dict[str, str | list[str]] = {
        "lang": lang,
        "from": filters.start.isoformat(),
        "to": filters.end.isoformat(),
    }
    lists = {
        "channel": filters.channels,
        "warehouse": filters.warehouses,
        "region": filters.regions,
        "category": filters.categories,
    }
    query |= {dim: list(values) for dim, values in lists.items() if values}
    return query


# --- Streamlit state --------------------------------------------------------------------


def _query_dict() -> dict[str, list[str]]:
    return {key: st.query_params.get_all(key) for key in st.query_params}


def start_session(options: Options | None) -> None:
    """On a session's first run, take language and filters from the URL (a shared link)."""
    if st.session_state.get(_STARTED) and (options is None or _STATE["dates"] in st.session_state):
        return
    query = _query_dict()
    st.session_state.setdefault(_STATE["lang"], parse_lang((query.get("lang") or [None])[0]))
    if options is not None:
        filters = from_query(query, options)
        st.session_state[_STATE["dates"]] = (filters.start, filters.end)
        st.session_state[_STATE["channel"]] = list(filters.channels)
        st.session_state[_STATE["warehouse"]] = list(filters.warehouses)
        st.session_state[_STATE["region"]] = list(filters.regions)
        st.session_state[_STATE["category"]] = list(filters.categories)
    st.session_state[_STARTED] = True


def lang() -> Lang:
    return parse_lang(st.session_state.get(_STATE["lang"]))


def current(options: Options) -> Filters:
    """The filters as the sidebar holds them now."""
    dates = st.session_state.get(_STATE["dates"]) or options.default_range()
    start, end = (dates[0], dates[-1]) if len(dates) else options.default_range()
    state = st.session_state
    return Filters(
        start=start,
        end=end,
        channels=tuple(state.get(_STATE["channel"], [])),
        warehouses=tuple(state.get(_STATE["warehouse"], [])),
        regions=tuple(state.get(_STATE["region"], [])),
        categories=tuple(state.get(_STATE["category"], [])),
    )


def language_switch() -> None:
    st.sidebar.segmented_control(
        t("language", lang()),
        options=list(LANGS),
        format_func=lambda code: LANG_NAMES[code],
        key=_STATE["lang"],
        required=True,
    )


def sidebar(options: Options) -> None:
    """The filter widgets; their values live in session state under fixed keys."""
    code = lang()
    st.sidebar.header(t("filters", code))
    st.sidebar.date_input(
        t("date_range", code),
        min_value=options.first_date,
        max_value=options.last_date,
        key=_STATE["dates"],
        format="YYYY-MM-DD",
    )
    names = dict(options.warehouses)
    labels = {
        "channel": lambda v: status(v, code),
        "warehouse": lambda v: names.get(v, v),
        "region": str,
        "category": str,
    }
    for dim in DIMENSIONS:
        st.sidebar.multiselect(
            t(dim, code),
            options=list(options.values(dim)),
            format_func=labels[dim],
            key=_STATE[dim],
            placeholder=t("all", code),
        )


def sync_url(options: Options | None) -> None:
    """Rewrite the global part of the URL from the widgets (page-specific keys are kept)."""
    wanted: dict[str, str | list[str]] = {"lang": lang()}
    if options is not None:
        wanted = to_query(current(options), lang())
    for key in ("lang", "from", "to", *DIMENSIONS):
        if key not in wanted and key in st.query_params:
            del st.query_params[key]
    for key, value in wanted.items():
        if st.query_params.get_all(key) != (value if isinstance(value, list) else [value]):
            st.query_params[key] = value
