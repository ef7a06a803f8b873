from datetime import date
from decimal import Decimal

from dashboards.lib import i18n


def test_every_catalogue_entry_has_both_languages():
    for key, (english, chinese) in i18n.CATALOGUE.items():
        assert english and chinese, key


def test_placeholders_are_the_same_in_both_languages():
    import string

    for key, (english, chinese) in i18n.CATALOGUE.items():
        names = [
            {f for _, f, _, _ in string.Formatter().parse(text) if f} for text in (english, chinese)
        ]
        assert names[0] == names[1], key


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
