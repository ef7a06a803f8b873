"""The fixed words of a report page, in English and Chinese."""

from __future__ import annotations

WORDS: dict[str, dict[str, str]] = {
    "en": {
        "period": "Period",
        "clock": "Data up to",
        "version": "Data version",
        "created": "Created",
        "figures": "Headline figures",
        "figure": "Figure",
        "value": "This period",
        "previous": "Previous period",
        "change": "Change",
        "year_ago": "A year before",
        "last_snapshot": "Previous snapshot",
        "last_snapshot_is": "Previous snapshot: {period} v{version} (data version {data_version}, "
        "created {created}).",
        "no_snapshot": "No previous snapshot of this report: this is the first.",
        "what_changed": "What changed",
        "what": "Mover",
        "no_change": "Nothing changed against the previous period.",
        "source": "Source",
        "filters": "Filters",
        "none": "none",
        "as_of": "as of the data clock (no period)",
        "more": "{n} more rows in the CSV / XLSX files.",
    },
    "zh": {
        "period": "期间",
        "clock": "数据截至",
        "version": "数据版本",
        "created": "生成时间",
        "figures": "关键指标",
        "figure": "指标",
        "value": "本期",
        "previous": "上期",
        "change": "变化",
        "year_ago": "去年同期",
        "last_snapshot": "上次快照",
        "last_snapshot_is": "上次快照：{period} v{version}"
        "（数据版本 {data_version}，生成于 {created}）。",
        "no_snapshot": "本报告尚无以前的快照：这是第一份。",
        "what_changed": "主要变化",
        "what": "变动项",
        "no_change": "与上期相比没有变化。",
        "source": "数据来源",
        "filters": "筛选条件",
        "none": "无",
        "as_of": "截至数据日期（不分期间）",
        "more": "另有 {n} 行见 CSV / XLSX 文件。",
    },
}
