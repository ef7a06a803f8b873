"""The one string catalogue (pipelines/i18n.py): both languages everywhere, the report
pages' words drawn from it, and no way for it to lean on the dashboards or on Streamlit."""

from __future__ import annotations

import ast
import string
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import jinja2
from jinja2 import nodes

from pipelines import i18n

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "pipelines" / "reports" / "templates"


def placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field}


def imported_modules(path: Path) -> set[str]:
    """Top-level names of every module `path` imports (relative imports stay in the package)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.split(".")[0])
    return found


def template_words() -> list[tuple[str, str, set[str]]]:
    """(template, key, keyword names) of every `t("key", ...)` call in the report templates."""
    environment = jinja2.Environment()
    calls = []
    for path in sorted(TEMPLATES.glob("*.j2")):
        tree = environment.parse(path.read_text(encoding="utf-8"))
        for getattr_node in tree.find_all(nodes.Getattr):
            target = getattr_node.node
            assert not (isinstance(target, nodes.Name) and target.name == "t"), (
                f"{path.name}: t.{getattr_node.attr} reads a word outside the catalogue's t()"
            )
        for call in tree.find_all(nodes.Call):
            if isinstance(call.node, nodes.Name) and call.node.name == "t":
                assert len(call.args) == 1 and isinstance(call.args[0], nodes.Const), path.name
                calls.append((path.name, call.args[0].value, {kw.key for kw in call.kwargs}))
    return calls


def test_every_catalogue_entry_has_both_languages():
    for key, (english, chinese) in i18n.CATALOGUE.items():
        assert english and chinese, key


def test_placeholders_are_the_same_in_both_languages():
    for key, (english, chinese) in i18n.CATALOGUE.items():
        assert placeholders(english) == placeholders(chinese), key


def test_sentences_have_both_languages_with_the_same_placeholders():
    for key, (english, chinese) in i18n.SENTENCES.items():
        assert english and chinese and placeholders(english) == placeholders(chinese), key


def test_a_sentence_the_data_holds_in_english_reads_in_chinese():
    reason = "AutoETS kept: SeasonalNaive scored 0.95 against its 1.0, less than 10% lower (noise)"
    assert i18n.sentence_in(reason, "zh") == (
        "保留 AutoETS：SeasonalNaive 得分 0.95，其得分 1.0，低不到 10%（视为噪声）"
    )
    short = "not backtested (lumpy class, 12 days of history, 56 needed): mean of in-stock days"
    assert i18n.sentence_in(short, "zh") == (
        "未回测（块状，历史 12 天，需要 56 天）：取有货日的平均需求"
    )
    # The plan line's sentence ends with its model's reason: both read in Chinese, the data
    # values inside (the lead time's source) too.
    why = (
        "d=1.5/day (sd 0.5), lead time 7.0d (sd 1.2, measured), z=1.645 -> safety stock 3.2; "
        "ROP = 10.5 lead-time demand + 3.2 = 13.7; position 4.0 (transfers +0/-2); EOQ 20.0, "
        "MOQ 1, pack 6; model AutoETS (chosen on the selection windows: WAPE 0.5, MASE 0.9; on "
        "the held-back window: WAPE n/a, MASE n/a): no demand in the history: zero forecast"
    )
    assert i18n.sentence_in(why, "zh") == (
        "日需求 d=1.5（标准差 0.5），提前期 7.0 天（标准差 1.2，实测），z=1.645 → 安全库存 3.2；"
        "再订货点 = 提前期需求 10.5 + 3.2 = 13.7；库存位置 4.0（调拨 +0/-2）；经济订货量 20.0，"
        "最小起订量 1，包装 6；模型 AutoETS（选择窗口：WAPE 0.5，MASE 0.9；留出窗口：WAPE n/a，"
        "MASE n/a）：历史中没有需求：预测为零"
    )
    assert i18n.sentence_in(why, "en") == why
    # A safety stock that is not the one added into the reorder point is not this sentence.
    assert i18n.sentence_in(why.replace("+ 3.2 =", "+ 3.3 ="), "zh") == why.replace(
        "+ 3.2 =", "+ 3.3 ="
    )
    assert i18n.sentence_in("written by hand", "zh") == "written by hand"
    # A placeholder's value is one word: "did not beat" is not a model that beat the naive
    # (a reason written before the margin was named stays as it was written).
    older = "LightGBM did not beat SeasonalNaive in backtest (score 0.137 vs 0.0)"
    assert i18n.sentence_in(older, "zh") == older
    assert i18n.sentence_in(None, "zh") is None


def test_every_word_of_the_report_pages_comes_from_the_catalogue_in_both_languages():
    words = template_words()
    assert len({key for _, key, _ in words}) >= 15, "the report template's words were not found"
    for template, key, given in words:
        assert key in i18n.CATALOGUE, f"{template}: {key} is not in the catalogue"
        english, chinese = i18n.CATALOGUE[key]
        assert english and chinese, key
        assert given == placeholders(english), f"{template}: {key} fills {given}"
    # and the words the renderer adds itself (words = t bound to the report's language)
    render = ast.parse((ROOT / "pipelines" / "reports" / "render.py").read_text(encoding="utf-8"))
    own = [
        node.args[0].value
        for node in ast.walk(render)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in {"t", "words"}
        and node.args
        and isinstance(node.args[0], ast.Constant)
    ]
    assert own and all(key in i18n.CATALOGUE for key in own), own


def test_report_words_fill_their_placeholders():
    assert i18n.t("more_rows", "zh", n=3) == "另有 3 行见 CSV / XLSX 文件。"
    text = i18n.t(
        "previous_snapshot_is", "en", period="2026-W06", version=2, data_version="d1", created="x"
    )
    assert text == "Previous snapshot: 2026-W06 v2 (data version d1, created x)."


def test_pipelines_never_import_the_dashboards():
    modules = sorted((ROOT / "pipelines").rglob("*.py"))
    assert len(modules) > 20
    leaning = [str(p.relative_to(ROOT)) for p in modules if "dashboards" in imported_modules(p)]
    assert not leaning


def test_the_catalogue_needs_only_the_standard_library():
    """No Streamlit (or anything else) behind the formats, so the reports can use them too:
    the catalogue imports the standard library and pipelines modules that do the same."""
    imported = imported_modules(ROOT / "pipelines" / "i18n.py") - {"__future__"}
    assert imported - {"pipelines"} <= set(sys.stdlib_module_names), imported
    tree = ast.parse((ROOT / "pipelines" / "i18n.py").read_text(encoding="utf-8"))
    own = {
        node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("pipelines.")
    }
    assert own == {"pipelines.periods"}
    for module in own:
        path = ROOT / (module.replace(".", "/") + ".py")
        assert imported_modules(path) - {"__future__"} <= set(sys.stdlib_module_names), module


def test_money_uses_wan_and_yi_in_chinese_only():
    assert i18n.fmt_money(Decimal("1234567.8"), "en") == "¥1,234,567.80"
    assert i18n.fmt_money(13_897_322.12, "en") == "¥13.90M"
    assert i18n.fmt_money(-1_389_732_210, "en") == "-¥1.39B"
    assert i18n.fmt_money(1_234_567.8, "zh") == "¥123.5万"
    assert i18n.fmt_money(-250_000_000, "zh") == "-¥2.50亿"
    assert i18n.fmt_money(None, "zh") == "—"


def test_dates_follow_the_language():
    assert i18n.fmt_date(date(2026, 3, 9), "en") == "9 Mar 2026"
    assert i18n.fmt_date(date(2026, 3, 9), "zh") == "2026年3月9日"


def test_delta_is_none_without_a_base():
    assert i18n.fmt_delta_pct(150, 100) == "+50.0%"
    assert i18n.fmt_delta_pct(150, 0) is None
    assert i18n.fmt_delta_pct(150, None) is None


def test_status_values_translate_and_unknown_values_pass_through():
    assert i18n.status("champions", "zh") == "冠军客户"
    assert i18n.status("something_new", "zh") == "something_new"
    assert i18n.parse_lang("fr") == "en"
