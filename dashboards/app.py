"""OrderLens dashboards: page config, navigation, language and global filters.

Run with `orderlens dashboard` (or `streamlit run dashboards/app.py`). Pages live in
`pages/` and only lay out; queries and charts live in `lib/`, strings in `pipelines/i18n.py`.
To add a page, add an `st.Page` to `_pages()` under its section.
"""

from __future__ import annotations

import sys
from pathlib import Path

# `streamlit run` puts this folder, not the repository, on sys.path.
_ROOT = str(Path(__file__).resolve().parents[1])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

import streamlit as st  # noqa: E402

from dashboards.lib import filters, session  # noqa: E402
from dashboards.lib.queries.common import options  # noqa: E402
from dashboards.lib.serving import current  # noqa: E402
from pipelines.i18n import t  # noqa: E402


def _pages(lang: str) -> dict[str, list[st.Page]]:
    def page(file: str, key: str, icon: str, **kwargs: object) -> st.Page:
        return st.Page(f"pages/{file}", title=t(key, lang), icon=icon, **kwargs)  # type: ignore[arg-type]

    return {
        t("nav_analysis", lang): [
            page("overview.py", "page_overview", ":material/dashboard:", default=True),
            page("sales.py", "page_sales", ":material/trending_up:"),
            page("inventory.py", "page_inventory", ":material/inventory_2:"),
            page("customers.py", "page_customers", ":material/groups:"),
        ],
        t("nav_planning", lang): [
            page("replenishment.py", "page_replenishment", ":material/local_mall:"),
        ],
        t("nav_operations", lang): [
            page("efficiency.py", "page_efficiency", ":material/local_shipping:"),
            page("data_quality.py", "page_data_quality", ":material/fact_check:"),
            page("reports.py", "page_reports", ":material/summarize:"),
            # reached by drill-down links, not from the menu
            page("product.py", "page_product", ":material/sell:", visibility="hidden"),
            page("customer.py", "page_customer", ":material/person:", visibility="hidden"),
        ],
    }


def main() -> None:
    st.set_page_config(page_title="OrderLens", page_icon=":material/insights:", layout="wide")
    srv = current(session.settings())  # the settings are read here, once per session
    opts = options(srv) if srv is not None else None
    filters.start_session(opts)
    navigation = st.navigation(_pages(filters.lang()))
    filters.language_switch()
    if opts is not None:
        filters.sidebar(opts)
    filters.sync_url(opts)
    navigation.run()


main()
