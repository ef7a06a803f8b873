"""The one catalogue of strings (English, Simplified Chinese) and per-language formats.

The dashboards and the report pages both read it: every label, metric name and status value
they show goes through `t()` (or `status()` for values that come from the data, such as
segment names), so adding a language is one column. It lives in `pipelines/` because the
reports are part of the package and `pipelines` never imports `dashboards`; it imports
nothing but the standard library, so the report renderer can use the formats too.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Literal

from pipelines.periods import growth

Lang = Literal["en", "zh"]
LANGS: tuple[Lang, ...] = ("en", "zh")
LANG_NAMES: dict[Lang, str] = {"en": "English", "zh": "中文"}
DEFAULT_LANG: Lang = "en"

# key -> (English, Simplified Chinese)
CATALOGUE: dict[str, tuple[str, str]] = {
    # app and navigation
    "app_title": ("OrderLens", "OrderLens 订单洞察"),
    "nav_analysis": ("Analysis", "分析"),
    "nav_operations": ("Operations", "运营"),
    "page_overview": ("Overview", "概览"),
    "page_sales": ("Sales", "销售"),
    "page_inventory": ("Inventory", "库存"),
    "page_customers": ("Customers", "客户"),
    "page_efficiency": ("Efficiency", "履约效率"),
    "page_data_quality": ("Data quality", "数据质量"),
    "page_product": ("Product", "商品"),
    "page_customer": ("Customer", "客户详情"),
    "language": ("Language", "语言"),
    # filters
    "filters": ("Filters", "筛选"),
    "date_range": ("Date range", "日期范围"),
    "channel": ("Channel", "渠道"),
    "warehouse": ("Warehouse", "仓库"),
    "region": ("Region", "地区"),
    "category": ("Category", "品类"),
    "all": ("All", "全部"),
    "applied_filters": ("Filters used on this page: {names}", "本页使用的筛选：{names}"),
    "reset_filters": ("Reset filters", "重置筛选"),
    # empty states
    "no_warehouse_title": ("No data has been published yet", "尚未发布任何数据"),
    "no_warehouse_body": (
        "The dashboards read the published serving file, and there is none yet. Load data "
        "with `make run`, or run `orderlens ingest` and then `orderlens build`; the page "
        "shows the data as soon as a build publishes it.",
        "仪表板读取已发布的数据文件，目前还没有。请运行 `make run` 加载数据，"
        "或先运行 `orderlens ingest` 再运行 `orderlens build`；构建发布后页面即显示数据。",
    ),
    "no_data": ("No data for these filters.", "当前筛选条件下没有数据。"),
    "mart_missing": (
        "The mart {name} is not in the published data yet: run `orderlens build`.",
        "已发布的数据中还没有数据集 {name}：请运行 `orderlens build`。",
    ),
    "mart_outdated": (
        "The published {name} was built by an earlier version of OrderLens: run `orderlens build`"
        " (and `orderlens forecast --refit` for the replenishment marts).",
        "已发布的 {name} 由较早版本的 OrderLens 生成：请运行 `orderlens build`"
        "（补货数据集另需 `orderlens forecast --refit`）。",
    ),
    "data_as_of": (
        "Data as of {clock} · version {version}, published {published}",
        "数据截至 {clock} · 版本 {version}，发布于 {published}",
    ),
    "download_csv": ("CSV", "CSV"),
    "download_xlsx": ("Excel", "Excel"),
    "open_product": ("Open the product page", "打开商品页面"),
    "open_customer": ("Open the customer page", "打开客户页面"),
    "choose_product": ("Product", "商品"),
    "choose_customer": ("Customer", "客户"),
    "unknown_product": ("Unknown product {sku}.", "未知商品 {sku}。"),
    "unknown_customer": ("Unknown customer {customer}.", "未知客户 {customer}。"),
    "vs_previous": ("vs previous period", "较上期"),
    "vs_year_ago": ("vs same period last year", "较去年同期"),
    "previous_period": ("Previous period", "上期"),
    "year_ago": ("Same period last year", "去年同期"),
    "current_period": ("This period", "本期"),
    # metrics
    "net_revenue": ("Net revenue", "净销售额"),
    "gross_revenue": ("Gross revenue", "销售总额"),
    "discount_amount": ("Discounts", "折扣"),
    "refund_amount": ("Refunds", "退款"),
    "net_revenue_after_returns": ("Net of returns", "扣除退货后净额"),
    "gross_margin": ("Gross margin", "毛利"),
    "cost_of_goods": ("Cost of goods", "销售成本"),
    "orders": ("Orders", "订单数"),
    "order_lines": ("Order-SKU rows", "订单商品行"),
    "aov": ("Average order value", "平均订单金额"),
    "units": ("Units", "件数"),
    "returned_units": ("Units returned", "退货件数"),
    "on_time_rate": ("On-time rate", "准时率"),
    "in_full_rate": ("In-full rate", "足量率"),
    "otif_rate": ("OTIF", "准时足量率"),
    "perfect_order_rate": ("Perfect order rate", "完美订单率"),
    "fill_rate": ("Fill rate", "满足率"),
    "stockouts": ("Stockouts", "缺货"),
    "stockout_days": ("Stockout days", "缺货天数"),
    "active_customers": ("Active customers", "活跃客户"),
    "customers": ("Customers", "客户数"),
    "date": ("Date", "日期"),
    "period": ("Period", "期间"),
    "value": ("Value", "数值"),
    "share": ("Share", "占比"),
    "sku": ("SKU", "SKU"),
    "product": ("Product", "商品"),
    "rank": ("Rank", "排名"),
    "cumulative_share": ("Cumulative share", "累计占比"),
    "abc_class": ("ABC class", "ABC 分类"),
    "mover_class": ("Movement", "动销"),
    "first_sale_date": ("First sale", "首次销售"),
    "last_sale_date": ("Last sale", "最近销售"),
    "units_last_28_days": ("Units, last 28 days", "近 28 天件数"),
    # sales page
    "trend": ("Trend", "趋势"),
    "grain": ("Time grain", "时间粒度"),
    "grain_day": ("Day", "日"),
    "grain_week": ("Week", "周"),
    "grain_month": ("Month", "月"),
    "breakdown": ("Breakdown", "构成"),
    "breakdown_by": ("Break down by", "按维度拆分"),
    "comparison": ("Comparison", "对比"),
    "abc_view": ("ABC analysis", "ABC 分析"),
    "drill_down": ("Drill down: category → product", "下钻：品类 → 商品"),
    "products_in_category": ("Products in {category}", "{category} 的商品"),
    "sales_by": ("Net revenue by {dim}", "按{dim}的净销售额"),
    "change": ("Change", "变化"),
    "change_pct": ("Change %", "变化率"),
    # inventory page
    "stock_position": ("Stock position", "库存状况"),
    "on_hand": ("On hand", "在库"),
    "on_order": ("On order", "在途"),
    "committed": ("Committed", "已承诺"),
    "available": ("Available", "可用"),
    "stock_value": ("Stock value at cost", "库存成本价值"),
    "turnover": ("Turnover", "周转率"),
    "days_of_inventory": ("Days of inventory", "库存天数"),
    "sell_through": ("Sell-through", "售罄率"),
    "ageing": ("Stock ageing", "库龄"),
    "age_bucket": ("Age", "库龄区间"),
    "dead_stock": ("Dead stock", "呆滞库存"),
    "low_stock": ("Low stock", "低库存"),
    "over_stock": ("Over-stock", "积压库存"),
    "days_of_supply": ("Days of supply", "可供天数"),
    "alert_type": ("Alert", "预警"),
    "month": ("Month", "月份"),
    "as_of": ("As of {date}", "截至 {date}"),
    # customers page
    "rfm_segments": ("RFM segments", "RFM 客群"),
    "segment": ("Segment", "客群"),
    "segment_value": ("Value by segment", "各客群价值"),
    "migration": ("Segment migration", "客群迁移"),
    "from_segment": ("From", "迁出"),
    "to_segment": ("To", "迁入"),
    "cohort_retention": ("Cohort retention", "同期群留存"),
    "cohort_month": ("Cohort", "同期群"),
    "months_since_first": ("Months since first order", "首单后月数"),
    "retention_rate": ("Retention", "留存率"),
    "repeat_rate": ("Repeat purchase rate", "复购率"),
    "lifetime_value": ("Lifetime value", "生命周期价值"),
    "ltv_distribution": ("Lifetime value distribution", "生命周期价值分布"),
    "satisfaction": ("Average satisfaction", "平均满意度"),
    "complaints": ("Complaints", "投诉"),
    "churn_risk": ("Churn risk", "流失风险"),
    "recency_days": ("Recency (days)", "最近购买（天）"),
    "frequency": ("Frequency", "购买频次"),
    "monetary": ("Monetary", "消费金额"),
    "customer": ("Customer", "客户"),
    "first_order_date": ("First order", "首次下单"),
    "last_order_date": ("Last order", "最近下单"),
    "days_since_last_order": ("Days since last order", "距上次下单天数"),
    "returns": ("Returns", "退货"),
    # efficiency page
    "stage": ("Stage", "环节"),
    "stage_durations": ("Stage durations (hours)", "各环节时长（小时）"),
    "p50": ("p50 (h)", "中位数（小时）"),
    "p90": ("p90 (h)", "P90（小时）"),
    "mean_hours": ("Mean (h)", "平均（小时）"),
    "bottleneck": ("Bottleneck stage", "瓶颈环节"),
    "in_progress": ("Orders in progress", "处理中订单"),
    "at_risk_orders": ("At-risk open orders", "有延误风险的订单"),
    "late_stage": ("Stage that makes it late", "导致延误的环节"),
    "current_stage": ("Current stage", "当前环节"),
    "hours_late": ("Hours late", "预计延误（小时）"),
    "promised_date": ("Promised", "承诺日期"),
    "expected_delivery": ("Expected delivery", "预计送达"),
    "carrier_scorecard": ("Carrier scorecard", "承运商评分"),
    "carrier": ("Carrier", "承运商"),
    "shipments": ("Shipments", "发货数"),
    "avg_delay_days": ("Average delay of late deliveries (days)", "延误平均天数"),
    "damage_loss": ("Damage and loss complaints", "破损与丢失投诉"),
    "ticket_resolution": ("Service ticket resolution", "客服工单处理"),
    "ticket_type": ("Ticket type", "工单类型"),
    "topic": ("Topic", "主题"),
    "opened": ("Opened", "新建"),
    "resolved": ("Resolved", "已解决"),
    "week": ("Week", "周"),
    "fulfilment_rates": ("Fulfilment rates", "履约指标"),
    # overview alerts
    "latest_alerts": ("Latest alerts", "最新预警"),
    "alert_low_stock": (
        "{n} SKU-warehouses below their lead time of supply",
        "{n} 个商品仓位库存低于交期",
    ),
    "alert_at_risk": ("{n} open orders at risk of being late", "{n} 个未完成订单有延误风险"),
    "alert_slow_stage": (
        "Slowest stage in week of {week}: {stage} ({share} of the cycle)",
        "{week} 当周最慢环节：{stage}（占周期 {share}）",
    ),
    "no_alerts": ("No alerts.", "暂无预警。"),
    # data quality page
    "ingest_ledger": ("Ingest ledger", "导入台账"),
    "quarantine": ("Quarantine", "隔离区"),
    "quarantine_reasons": ("Quarantined rows by reason", "按原因统计的隔离行"),
    "freshness": ("Freshness of the marts", "数据集新鲜度"),
    "event_anomalies": ("Orders with out-of-order events", "事件顺序异常的订单"),
    "event_anomalies_note": (
        "Two status events in the opposite order (e.g. shipped before approval). Such an order "
        "has no row for the stage it breaks in the stage durations; its other stages count.",
        "两个状态事件顺序颠倒（例如审批前已发货）。此类订单在环节时长中缺少被颠倒的环节，"
        "其他环节照常计入。",
    ),
    "event_anomaly_rules": ("Orders by broken rule", "按规则统计的异常订单"),
    "rule_code": ("Rule", "规则"),
    "ordered_date": ("Order date", "下单日期"),
    "expected_first_event": ("Event expected first", "应先发生的事件"),
    "expected_first_at": ("Expected first, at", "应先发生事件的时间"),
    "expected_second_event": ("Event expected second", "应后发生的事件"),
    "expected_second_at": ("Expected second, at", "应后发生事件的时间"),
    "hours_out_of_order": ("Hours out of order", "颠倒小时数"),
    "stage_left_out": ("Stage left out", "未计入的环节"),
    "mart": ("Mart", "数据集"),
    "rows": ("Rows", "行数"),
    "latest_date": ("Latest date", "最新日期"),
    "reason": ("Reason", "原因"),
    "table": ("Table", "表"),
    "status": ("Status", "状态"),
    "batches": ("Batches", "批次"),
    "rows_in": ("Rows in", "输入行"),
    "rows_loaded": ("Loaded", "已加载"),
    "rows_quarantined": ("Quarantined", "已隔离"),
    "rows_duplicate": ("Duplicates", "重复"),
    "rows_excluded": ("Excluded", "已排除"),
    "source": ("Source", "来源"),
    "started_at": ("Started", "开始时间"),
    "count": ("Count", "数量"),
    "value_at_cost": ("Value at cost", "成本价值"),
    "position_date": ("Stock date", "库存日期"),
    "week_start": ("Week", "周"),
    "month_start": ("Month", "月份"),
    "period_start": ("Period", "期间"),
    "units_sold": ("Units sold", "销售件数"),
    "cogs": ("Cost of goods sold", "销货成本"),
    "average_inventory_value": ("Average inventory value", "平均库存价值"),
    "delivered_orders": ("Delivered orders", "已送达订单"),
    "average_order_value": ("Average order value", "平均订单金额"),
    "label": ("Name", "名称"),
    "key": ("Code", "代码"),
    "product_name": ("Product", "商品"),
    "customer_name": ("Name", "名称"),
    "customer_id": ("Customer", "客户"),
    "order_id": ("Order", "订单"),
    "warehouse_id": ("Warehouse", "仓库"),
    "p50_hours": ("p50 (h)", "中位数（小时）"),
    "p90_hours": ("p90 (h)", "P90（小时）"),
    "cycle_share": ("Share of cycle", "占周期比例"),
    "elapsed_hours": ("Elapsed (h)", "已用时（小时）"),
    "expected_remaining_hours": ("Expected remaining (h)", "预计剩余（小时）"),
    "expected_delivery_at": ("Expected delivery", "预计送达"),
    "average_delay_days": ("Average delay (days)", "平均延误（天）"),
    "lost_demand": ("Lost demand (units)", "损失需求（件）"),
    # replenishment page
    "nav_planning": ("Planning", "计划"),
    "page_replenishment": ("Replenishment", "补货"),
    "plan_missing_title": ("No replenishment plan yet", "尚无补货计划"),
    "plan_missing_body": (
        "The forecasting step writes the plan after the marts are built, and this published "
        "version does not hold it yet. Run `orderlens build` (or materialize the forecasting "
        "assets in Dagster); the page shows the plan as soon as it is published.",
        "预测步骤在数据集构建完成后生成补货计划，当前发布的版本中还没有。请运行 "
        "`orderlens build`（或在 Dagster 中物化预测资产）；计划发布后页面即显示。",
    ),
    "needs_order_only": ("Only lines that need an order", "只看需要下单的行"),
    "reorder_list": ("Reorder list", "补货清单"),
    "nothing_to_order": (
        "Nothing needs ordering for these filters.",
        "当前筛选条件下没有需要下单的商品。",
    ),
    "lines_to_order": ("Lines to order", "待下单行数"),
    "units_to_order": ("Units to order", "待下单件数"),
    "late_orders": ("Already late", "已逾期"),
    "transfer_list": ("Transfers between warehouses", "仓间调拨"),
    "no_transfers": (
        "No transfer is suggested: no warehouse can cover another's shortfall more cheaply "
        "than an order.",
        "暂无调拨建议：没有哪个仓库能比下单更便宜地补足其他仓库的缺口。",
    ),
    "forecast_view": ("Forecast and backtest of one series", "单个序列的预测与回测"),
    "choose_series": ("Product and warehouse", "商品与仓库"),
    "forecast_title": ("Daily demand: {series}", "每日需求：{series}"),
    "forecast": ("Forecast", "预测"),
    "actual_demand": ("Actual demand", "实际需求"),
    "interval_80": ("80% interval", "80% 区间"),
    "interval_95": ("95% interval", "95% 区间"),
    "model_why": (
        "Demand class: {demand_class}. Model choice: {reason}",
        "需求类型：{demand_class}。模型选择：{reason}",
    ),
    "vs_naive": (
        "Seasonal naive on the same backtest: WAPE {wape}, MASE {mase}",
        "同一回测上的季节性朴素预测：WAPE {wape}，MASE {mase}",
    ),
    "held_back_scores": (
        "On the held-back window, which played no part in the choice: WAPE {wape}, MASE {mase} "
        "(seasonal naive: WAPE {naive_wape}, MASE {naive_mase})",
        "在未参与模型选择的留出窗口上：WAPE {wape}，MASE {mase}"
        "（季节性朴素：WAPE {naive_wape}，MASE {naive_mase}）",
    ),
    "accuracy_windows": (
        "The model of each series is chosen on the earlier backtest windows (selection); the "
        "held-back window, the last days of the history, is scored only after the choice. The "
        "gap between the two is how much the choice itself flatters.",
        "每个序列的模型在较早的回测窗口（选择窗口）上选出；留出窗口即历史最后一段，仅在选定后"
        "评分。两者之差就是模型选择本身带来的偏乐观程度。",
    ),
    "explain_details": ("How the order was worked out", "下单量的计算过程"),
    "accuracy": (
        "Forecast accuracy against the seasonal naive",
        "预测准确度（对比季节性朴素预测）",
    ),
    "accuracy_title": ("{metric} by demand class", "各需求类型的 {metric}"),
    "accuracy_empty": (
        "No series has enough history to be backtested yet, so there is no accuracy to show.",
        "还没有历史足够长、可以回测的序列，因此暂无准确度数据。",
    ),
    "simulation": (
        "The policy replayed on history: service against stock",
        "策略历史回放：服务水平与库存的权衡",
    ),
    "simulation_about": (
        "The last weeks ({start} to {end}) replayed day by day with only what was known each "
        "day: the forecast refitted every four weeks, the plan re-made daily, lead times drawn "
        "from each supplier's own history. One point per policy and service target.",
        "逐日回放最近几周（{start} 至 {end}），每天只使用当天已知的数据：预测每四周重新拟合，"
        "计划每日重做，提前期按各供应商自身历史抽样。每个点代表一种策略和目标服务水平。",
    ),
    "simulation_title": ("Fill rate against average stock value", "满足率与平均库存价值"),
    "simulation_empty": (
        "The policy simulation runs with each weekly model refit; none has run on this data yet.",
        "策略模拟随每周模型重新拟合运行；此数据上尚未运行。",
    ),
    "policy": ("Policy", "策略"),
    "service_target": ("Target service level", "目标服务水平"),
    "cycle_service_level": ("Cycle service level", "周期服务水平"),
    "avg_stock_value": ("Average stock value", "平均库存价值"),
    "orders_placed": ("Orders placed", "下单次数"),
    "needs_order": ("Needs order", "需下单"),
    "order_qty": ("Order quantity", "下单数量"),
    "order_by_date": ("Order by", "最晚下单日"),
    "is_late": ("Late", "已逾期"),
    "stockout_date": ("Projected stockout", "预计缺货日"),
    "position": ("Stock position", "库存头寸"),
    "reorder_point": ("Reorder point", "再订货点"),
    "safety_stock": ("Safety stock", "安全库存"),
    "transfer_in": ("Transfer in", "调入"),
    "transfer_out": ("Transfer out", "调出"),
    "demand_class": ("Demand class", "需求类型"),
    "model_used": ("Model", "模型"),
    "model_best": ("Best in backtest", "回测最佳"),
    "model_reason": ("Why this model", "选择原因"),
    "why": ("Why", "原因"),
    "supplier_id": ("Supplier", "供应商"),
    "from_warehouse": ("From", "调出仓"),
    "to_warehouse": ("To", "调入仓"),
    "quantity": ("Quantity", "数量"),
    "cost_per_unit": ("Transfer cost per unit", "单位调拨成本"),
    "buy_cost_per_unit": ("Order cost per unit", "单位采购成本"),
    "lead_days": ("Lead days", "在途天数"),
    "arrival_date": ("Arrives", "到达日期"),
    "scope": ("Forecast", "预测方法"),
    "window": ("Backtest window", "回测窗口"),
    "compared": ("Forecast and window", "预测方法与窗口"),
    "n_series": ("Series", "序列数"),
    "n_points": ("Points", "回测点数"),
    "wape": ("WAPE", "WAPE"),
    "mase": ("MASE", "MASE"),
    "bias": ("Bias", "偏差"),
    "coverage80": ("80% coverage", "80% 覆盖率"),
    "coverage95": ("95% coverage", "95% 覆盖率"),
    # reports page
    "page_reports": ("Reports", "报告"),
    "tab_archive": ("Archive", "归档"),
    "tab_compare": ("Compare", "对比"),
    "tab_builder": ("Build a report", "自定义报告"),
    "archive_empty": (
        "The report archive is empty. Snapshots appear here after a scheduled report runs, "
        "or run one now: `orderlens report run weekly_sales`.",
        "报告归档为空。定时报告运行后快照会出现在这里，也可以立即运行："
        "`orderlens report run weekly_sales`。",
    ),
    "snapshots": ("Snapshots", "快照"),
    "open_snapshot": ("Open a snapshot", "打开快照"),
    "report": ("Report", "报告"),
    "title": ("Title", "标题"),
    "version": ("Version", "版本"),
    "created_at": ("Created", "生成时间"),
    "data_version": ("Data version", "数据版本"),
    "data_clock": ("Data up to", "数据截至"),
    "delivery_status": ("Delivery", "发送状态"),
    "figures": ("Headline figures", "关键指标"),
    "figure": ("Figure", "指标"),
    "deliveries": ("Delivery attempts", "发送记录"),
    "no_deliveries": ("This snapshot has not been sent.", "该快照尚未发送。"),
    "delivery_failed": ("Delivery failed: {detail}", "发送失败：{detail}"),
    "attempt": ("Attempt", "尝试次数"),
    "at": ("At", "时间"),
    "to": ("To", "收件方"),
    "error": ("Error", "错误"),
    "downloads": ("Files", "文件"),
    "show_report": ("Show the report page here", "在此显示报告页面"),
    "compare_needs_two": (
        "Comparing needs two snapshots of the same report; the archive has none yet.",
        "对比需要同一报告的两个快照，归档中还没有。",
    ),
    "snapshot_a": ("Earlier snapshot", "较早的快照"),
    "snapshot_b": ("Later snapshot", "较新的快照"),
    "compare_title": ("Change of each figure, {a} → {b}", "各指标的变化，{a} → {b}"),
    "builder_intro": (
        "Choose a mart and its columns; the report is checked against the published data "
        "with the same rules as `orderlens report check`, previewed on the last complete "
        "period, and saved as a YAML spec.",
        "选择数据集及其字段；报告按与 `orderlens report check` 相同的规则对照已发布数据校验，"
        "以最近一个完整期间预览，并保存为 YAML 规格。",
    ),
    "spec_name": ("Name (lowercase letters, digits, _)", "名称（小写字母、数字、下划线）"),
    "title_en": ("Title (English)", "标题（英文）"),
    "title_zh": ("Title (Chinese)", "标题（中文）"),
    "report_language": ("Report language", "报告语言"),
    "period_kind": ("Period", "期间"),
    "schedule": ("Schedule (cron)", "计划（cron）"),
    "recipients": ("Recipients (comma separated)", "收件人（逗号分隔）"),
    "measures": ("Measures", "度量"),
    "aggregation": ("Aggregation", "汇总方式"),
    "dimensions": ("Dimensions", "维度"),
    "date_column": ("Date column (picks the period)", "日期字段（用于选择期间）"),
    "no_date_column": ("(none: the whole mart)", "（无：整个数据集）"),
    "filters_of_report": ("Filters", "筛选条件"),
    "filter_n": ("Filter {n}", "筛选 {n}"),
    "filter_column": ("Column", "字段"),
    "filter_op": ("Operator", "运算符"),
    "filter_value": ("Value (lists: comma separated)", "值（列表用逗号分隔）"),
    "sort_by": ("Sort by", "排序字段"),
    "descending": ("Descending", "降序"),
    "limit": ("Row limit", "行数上限"),
    "chart_type": ("Chart", "图表"),
    "preview": ("Preview", "预览"),
    "preview_period": ("Preview of {period}", "{period} 预览"),
    "preview_as_of": ("Preview as of the data clock", "截至数据日期的预览"),
    "preview_empty": ("The preview has no rows.", "预览没有数据。"),
    "spec_problems": ("The report is not valid yet:", "报告尚未通过校验："),
    "bad_value": (
        "Filter {n}: {value!r} is not a valid {kind}",
        "筛选 {n}：{value!r} 不是有效的{kind}",
    ),
    "save_spec": ("Save the report", "保存报告"),
    "saved_spec": ("Saved as {path}", "已保存为 {path}"),
    "saved_specs": ("Saved reports", "已保存的报告"),
    "spec_yaml": ("The spec (YAML)", "报告规格（YAML）"),
    "catalog_empty": (
        "The published data holds no marts to build a report from.",
        "已发布的数据中没有可用于构建报告的数据集。",
    ),
    "orders_overcount_note": (
        "Orders are summed over order-SKU rows of daily_sales: an order with several "
        "products counts once per product.",
        "订单数按 daily_sales 的订单商品行累加：含多个商品的订单按商品各计一次。",
    ),
    # report pages (pipelines/reports/templates): their other words are shared above
    # (period, data_clock, data_version, created_at, figures, figure, current_period,
    # previous_period, change, filters_of_report)
    "year_before": ("A year before", "去年同期"),
    "previous_snapshot": ("Previous snapshot", "上次快照"),
    "previous_snapshot_is": (
        "Previous snapshot: {period} v{version} (data version {data_version}, created {created}).",
        "上次快照：{period} v{version}（数据版本 {data_version}，生成于 {created}）。",
    ),
    "no_previous_snapshot": (
        "No previous snapshot of this report: this is the first.",
        "本报告尚无以前的快照：这是第一份。",
    ),
    "what_changed": ("What changed", "主要变化"),
    "mover": ("Mover", "变动项"),
    "no_change": ("Nothing changed against the previous period.", "与上期相比没有变化。"),
    "source_mart": ("Source", "数据来源"),
    "no_filters": ("none", "无"),
    "period_as_of": ("as of", "截至"),
    "as_of_clock": ("as of the data clock (no period)", "截至数据日期（不分期间）"),
    "more_rows": ("{n} more rows in the CSV / XLSX files.", "另有 {n} 行见 CSV / XLSX 文件。"),
}

# Values that come from the data (enums of the marts), translated for display only. Channels
# are an open list: the common ones have labels here, any other shows as the data writes it.
STATUS: dict[str, tuple[str, str]] = {
    "web": ("Web", "网站"),
    "app": ("App", "应用"),
    "phone": ("Phone", "电话"),
    "email": ("E-mail", "电子邮件"),
    "store": ("Store", "门店"),
    "marketplace": ("Marketplace", "电商平台"),
    "b2b": ("B2B", "企业客户"),
    "wholesale": ("Wholesale", "批发"),
    "tender": ("Tender", "招标"),
    "champions": ("Champions", "冠军客户"),
    "loyal": ("Loyal", "忠诚客户"),
    "potential_loyalists": ("Potential loyalists", "潜力客户"),
    "new": ("New", "新客户"),
    "promising": ("Promising", "有望客户"),
    "need_attention": ("Need attention", "需关注"),
    "at_risk": ("At risk", "有流失风险"),
    "cant_lose": ("Can't lose", "不能失去"),
    "hibernating": ("Hibernating", "休眠客户"),
    "lost": ("Lost", "已流失"),
    "none": ("(new)", "（新增）"),
    "low": ("Low", "低"),
    "medium": ("Medium", "中"),
    "high": ("High", "高"),
    "unknown": ("Unknown", "未知"),
    "top": ("Top mover", "畅销"),
    "regular": ("Regular", "常规"),
    "slow": ("Slow mover", "滞销"),
    "no_sales": ("No sales", "无销售"),
    "low_stock": ("Low stock", "低库存"),
    "over_stock": ("Over-stock", "积压"),
    "received_to_confirmed": ("Received → confirmed", "接单 → 确认"),
    "confirmed_to_approved": ("Confirmed → approved", "确认 → 审批"),
    "approved_to_allocated": ("Approved → allocated", "审批 → 分配"),
    "allocated_to_shipped": ("Allocated → shipped", "分配 → 发货"),
    "shipped_to_delivered": ("Shipped → delivered", "发货 → 送达"),
    "order_cycle": ("Order cycle", "订单周期"),
    "confirmed_before_received": ("Confirmed before received", "接单前已确认"),
    "approved_before_confirmed": ("Approved before confirmed", "确认前已审批"),
    "allocated_before_confirmed": ("Allocated before confirmed", "确认前已分配"),
    "allocated_before_approved": ("Allocated before approved", "审批前已分配"),
    "picked_before_allocated": ("Picked before allocated", "分配前已拣货"),
    "packed_before_picked": ("Packed before picked", "拣货前已打包"),
    "shipped_before_packed": ("Shipped before packed", "打包前已发货"),
    "shipped_before_allocated": ("Shipped before allocated", "分配前已发货"),
    "shipped_before_approved": ("Shipped before approved", "审批前已发货"),
    "delivered_before_shipped": ("Delivered before shipped", "发货前已送达"),
    "delivered_before_received": ("Delivered before received", "接单前已送达"),
    "returned_before_delivered": ("Returned before delivered", "送达前已退货"),
    "paid_after_delivered": ("Paid after delivered", "送达后才付款"),
    "shipped_after_cancelled": ("Shipped after cancelled", "取消后仍发货"),
    "delivered_after_cancelled": ("Delivered after cancelled", "取消后仍送达"),
    "complaint": ("Complaint", "投诉"),
    "inquiry": ("Inquiry", "咨询"),
    "return_request": ("Return request", "退货申请"),
    "late_delivery": ("Late delivery", "延迟送达"),
    "damaged": ("Damaged", "破损"),
    "wrong_item": ("Wrong item", "发错货"),
    "billing": ("Billing", "账单"),
    "product_question": ("Product question", "商品咨询"),
    "other": ("Other", "其他"),
    "loaded": ("Loaded", "已加载"),
    "failed": ("Failed", "失败"),
    "quarantined": ("Quarantined", "已隔离"),
    "released": ("Released", "已释放"),
    "smooth": ("Smooth", "平稳"),
    "erratic": ("Erratic", "波动"),
    "intermittent": ("Intermittent", "间歇"),
    "lumpy": ("Lumpy", "块状"),
    "too_short": ("Too short", "历史过短"),
    "no_demand": ("No demand", "无需求"),
    "all": ("All", "全部"),
    "plan": ("Plan's models", "计划所用模型"),
    "naive": ("Seasonal naive", "季节性朴素"),
    "plan_policy": ("The plan's policy", "计划策略"),
    "min_max": ("Simple min/max", "简单最小/最大库存策略"),
    "actual": ("What happened", "实际情况"),
    "selection": ("Selection windows", "选择窗口"),
    "held_back": ("Held-back window", "留出窗口"),
    "plan:selection": ("Plan, selection windows", "计划（选择窗口）"),
    "plan:held_back": ("Plan, held-back window", "计划（留出窗口）"),
    "naive:selection": ("Seasonal naive, selection windows", "季节性朴素（选择窗口）"),
    "naive:held_back": ("Seasonal naive, held-back window", "季节性朴素（留出窗口）"),
    "delivered": ("Delivered", "已送达"),
    "not sent": ("Not sent", "未发送"),
    "retrying": ("Retrying", "重试中"),
    "file_drop": ("File drop", "文件投递"),
    "A": ("A", "A 类"),
    "B": ("B", "B 类"),
    "C": ("C", "C 类"),
    "0-30": ("0-30 days", "0-30 天"),
    "31-60": ("31-60 days", "31-60 天"),
    "61-90": ("61-90 days", "61-90 天"),
    "91-180": ("91-180 days", "91-180 天"),
    "over_180": ("Over 180 days", "180 天以上"),
    "measured": ("Measured", "实测"),
    "nominal": ("Nominal", "标称"),
    "few_receipts": ("Few receipts", "收货记录少"),
}

# Sentences the forecasting step writes into the marts in English (`model_reason`, `why`):
# it fills the English template, and a page reads a sentence in its language with
# `sentence_in`, which matches the English template and fills the other one.
SENTENCES: dict[str, tuple[str, str]] = {
    "reason_beat": (
        "{model_best} beat SeasonalNaive in backtest (score {best} vs {naive})",
        "{model_best} 在回测中优于 SeasonalNaive（得分 {best} 对 {naive}）",
    ),
    "reason_kept": (
        "{model_best} kept: SeasonalNaive scored {naive} against its {best}, "
        "less than {margin} lower (noise)",
        "保留 {model_best}：SeasonalNaive 得分 {naive}，其得分 {best}，低不到 {margin}（视为噪声）",
    ),
    "reason_naive": (
        "{model_best} did not beat SeasonalNaive in backtest "
        "(score {best} vs {naive}: {margin} or more lower)",
        "{model_best} 在回测中未胜过 SeasonalNaive（得分 {best} 对 {naive}：低 {margin} 或更多）",
    ),
    "reason_no_stock": (
        "no in-stock days in the backtest: SeasonalNaive by default",
        "回测期间没有有货的日子：默认使用 SeasonalNaive",
    ),
    "reason_no_demand": (
        "no demand in the history: zero forecast",
        "历史中没有需求：预测为零",
    ),
    "reason_new": (
        "new since the last weekly model fit: mean of in-stock days",
        "上次每周模型拟合之后新增：取有货日的平均需求",
    ),
    "reason_short": (
        "not backtested ({demand_class} class, {n_days} days of history, {needed} needed): "
        "mean of in-stock days",
        "未回测（{demand_class}，历史 {n_days} 天，需要 {needed} 天）：取有货日的平均需求",
    ),
    "why": (
        "d={d}/day (sd {sigma_d}), lead time {lead_time_mean}d (sd {lead_time_std}, "
        "{lead_time_source}), z={z} -> safety stock {safety_stock}; ROP = {lead_time_demand} "
        "lead-time demand + {safety_stock} = {reorder_point}; position {position} "
        "(transfers +{transfer_in}/-{transfer_out}); EOQ {eoq}, MOQ {min_order_qty}, "
        "pack {pack_size}; model {model_used} (chosen on the selection windows: "
        "WAPE {backtest_wape}, MASE {backtest_mase}; on the held-back window: "
        "WAPE {holdout_wape}, MASE {holdout_mase}): {model_reason}",
        "日需求 d={d}（标准差 {sigma_d}），提前期 {lead_time_mean} 天（标准差 {lead_time_std}，"
        "{lead_time_source}），z={z} → 安全库存 {safety_stock}；再订货点 = 提前期需求 "
        "{lead_time_demand} + {safety_stock} = {reorder_point}；库存位置 {position}"
        "（调拨 +{transfer_in}/-{transfer_out}）；经济订货量 {eoq}，最小起订量 {min_order_qty}，"
        "包装 {pack_size}；模型 {model_used}（选择窗口：WAPE {backtest_wape}，MASE "
        "{backtest_mase}；留出窗口：WAPE {holdout_wape}，MASE {holdout_mase}）：{model_reason}",
    ),
}
_TRANSLATED = {"demand_class", "lead_time_source"}  # data values inside a sentence
_NESTED = "model_reason"  # a sentence inside a sentence (the last words of `why`)


def _index(lang: str) -> int:
    return 1 if lang == "zh" else 0


def t(key: str, lang: str, **values: object) -> str:
    """The string `key` in `lang`, with `{placeholders}` filled; the key itself if unknown."""
    entry = CATALOGUE.get(key)
    text = entry[_index(lang)] if entry else key
    return text.format(**values) if values else text


def status(value: object, lang: str) -> str:
    """A data value (segment, channel, stage, ...) for display; unknown values pass through."""
    if value is None:
        return "—"
    entry = STATUS.get(str(value))
    return entry[_index(lang)] if entry else str(value)


def statuses(values: Iterable[object], lang: str) -> dict[str, str]:
    """`status()` of several data values at once, as a mapping for a column's `replace`."""
    return {str(v): status(v, lang) for v in values if v is not None}


def sentence_in(text: str | None, lang: str) -> str | None:
    """A sentence of `SENTENCES` the data holds in English, in `lang`; other text as it is."""
    if text is None or _index(lang) == 0:
        return text
    for entry in SENTENCES.values():
        found = _pattern(entry[0]).fullmatch(text)
        if found:
            values = {
                name: sentence_in(value, lang) if name == _NESTED else value
                for name, value in found.groupdict().items()
            }
            values |= {name: status(values[name], lang) for name in _TRANSLATED & set(values)}
            return entry[_index(lang)].format(**values)
    return text


@cache
def _pattern(template: str) -> re.Pattern[str]:
    """A template as a regular expression, each placeholder a group: a value is one word (a
    model, a number, a class), a nested sentence any text; a repeated placeholder must match
    the same text again."""
    parts: list[str] = []
    seen: set[str] = set()
    for literal, name, _, _ in string.Formatter().parse(template):
        parts.append(re.escape(literal))
        if name in seen:
            parts.append(f"(?P={name})")
        elif name:
            parts.append(f"(?P<{name}>.*)" if name == _NESTED else rf"(?P<{name}>\S*?)")
            seen.add(name)
    return re.compile("".join(parts), re.DOTALL)


def parse_lang(value: str | None) -> Lang:
    return value if value in LANGS else DEFAULT_LANG  # type: ignore[return-value]


# --- formats ----------------------------------------------------------------------------

Number = int | float | Decimal


def fmt_int(value: Number | None, lang: str) -> str:
    if value is None:
        return "—"
    if lang == "zh" and abs(value) >= 100_000_000:
        return f"{float(value) / 100_000_000:,.2f}亿"
    if lang == "zh" and abs(value) >= 100_000:
        return f"{float(value) / 10_000:,.1f}万"
    return f"{int(round(value)):,}"


def fmt_money(value: Number | None, lang: str, currency: str = "¥") -> str:
    """Money with the currency sign; large amounts shortened so a headline figure fits its
    tile: Chinese in 万 and 亿, as readers expect, English in M and B from ten million on."""
    if value is None:
        return "—"
    amount = float(value)
    sign = "-" if amount < 0 else ""
    amount = abs(amount)
    if lang == "zh" and amount >= 100_000_000:
        return f"{sign}{currency}{amount / 100_000_000:,.2f}亿"
    if lang == "zh" and amount >= 100_000:
        return f"{sign}{currency}{amount / 10_000:,.1f}万"
    if lang != "zh" and amount >= 1_000_000_000:
        return f"{sign}{currency}{amount / 1_000_000_000:,.2f}B"
    if lang != "zh" and amount >= 10_000_000:
        return f"{sign}{currency}{amount / 1_000_000:,.2f}M"
    return f"{sign}{currency}{amount:,.2f}"


def fmt_pct(value: Number | None, lang: str, digits: int = 1) -> str:
    """A share (0.25) as a percentage; the same format in both languages."""
    if value is None:
        return "—"
    return f"{float(value) * 100:.{digits}f}%"


def fmt_delta_pct(current: Number | None, base: Number | None) -> str | None:
    """Growth of `current` over `base` (pipelines.periods.growth) in percent, None when the
    base is missing or zero."""
    change = growth(current, base)
    return None if change is None else f"{change * 100:+.1f}%"


def fmt_date(value: date | datetime | None, lang: str) -> str:
    if value is None:
        return "—"
    if lang == "zh":
        return f"{value.year}年{value.month}月{value.day}日"
    return f"{value.day} {value:%b} {value.year}"


def fmt_hours(value: Number | None, lang: str) -> str:
    if value is None:
        return "—"
    return f"{float(value):,.1f} 小时" if lang == "zh" else f"{float(value):,.1f} h"


# --- reports ------------------------------------------------------------------------------
# Words, names and formats of the report snapshots (pipelines/reports). Kept in their own
# block; the words the report pages share with the dashboards are in CATALOGUE above.

REPORT_CATALOGUE: dict[str, tuple[str, str]] = {
    "summary": ("Summary", "摘要"),
    "trend_8": ("Last 8 periods", "近 8 期"),
    "vs_last_snapshot": ("vs last snapshot", "较上次快照"),
    "technical_details": ("Technical details", "技术信息"),
    "spec_file": ("Spec file", "规格文件"),
    "section": ("Section", "部分"),
    "sales_date": ("Date", "日期"),
    "bottleneck_stage": ("Bottleneck stage", "瓶颈环节"),
    "no_base": ("no base", "无对比数据"),
    "week_before": ("the week before", "上周"),
    "month_before": ("the month before", "上月"),
    "day_before": ("the day before", "前一天"),
    "period_before": ("the period before", "上期"),
    "year_before_short": ("a year before", "去年同期"),
    "mover_sentence": (
        "{name}: {measure} {value}, {change} ({pct}) on {before}",
        "{name}：{measure} {value}，较{before} {change}（{pct}）",
    ),
    "mover_sentence_no_pct": (
        "{name}: {measure} {value}, {change} on {before} (none then)",
        "{name}：{measure} {value}，较{before} {change}（上期为零）",
    ),
    "left_out": (
        "Left out, as there is no data for them yet: {sections}.",
        "以下部分暂无数据，未列入：{sections}。",
    ),
    "points": ("{value} pp", "{value}个百分点"),
    "mover_sentence_points": (
        "{name}: {measure} {value}, {change} on {before}",
        "{name}：{measure} {value}，较{before} {change}",
    ),
    "mover_sentence_new": (
        "{name}: {measure} {value}, none {before}",
        "{name}：{measure} {value}（{before}无）",
    ),
    "summary_figure": (
        "{label} {value} ({change} on {before})",
        "{label} {value}（较{before} {change}）",
    ),
    "summary_figure_no_base": ("{label} {value}", "{label} {value}"),
    "summary_opening": ("{title}, {period}: ", "{title}，{period}："),
    "summary_largest": (" The largest change: {sentence}.", "变化最大的是 {sentence}。"),
    "no_breakdown": (
        "No section of this report breaks a figure down by a category (channel, product, ...) "
        "to rank what changed.",
        "本报告没有按类别（渠道、商品等）拆分的部分，无法列出主要变化。",
    ),
    "summary_quiet": (" Nothing moved against the period before.", "与上期相比没有变化。"),
    "email_attached": (
        "The full report is attached (PDF, XLSX).",
        "完整报告见附件（PDF、XLSX）。",
    ),
    "email_html_only": (
        "The headline figures in a table are in the HTML part of this e-mail.",
        "关键指标表格见本邮件的 HTML 部分。",
    ),
}
CATALOGUE.update(REPORT_CATALOGUE)

# ISO 4217 code -> the sign printed before an amount; other codes print as "CHF 12.00".
CURRENCY_SIGNS: dict[str, str] = {"CNY": "¥", "JPY": "¥", "USD": "$", "EUR": "€", "GBP": "£"}


def currency_sign(code: str | None) -> str:
    """The sign fmt_money prints for a currency code ("¥" when the code is unknown or None,
    the dashboards' default)."""
    if not code:
        return "¥"
    return CURRENCY_SIGNS.get(code.upper(), f"{code.upper()} ")


def fmt_number(value: Number | None, lang: str, digits: int = 1) -> str:
    """A measured quantity that is neither money, a count nor a share (days, scores)."""
    if value is None:
        return "—"
    return f"{float(value):,.{digits}f}"


def fmt_period(kind: str, start: date, lang: str) -> str:
    """A report period: weeks as 2026-W32 (both languages), months 2026-08 / 2026年8月, days
    by fmt_date."""
    if kind == "week":
        return fmt_week(start, lang)
    if kind == "month":
        return fmt_month(start, lang)
    return fmt_date(start, lang)


# --- dashboard tables: headers of the columns the pages show, week and month labels -------

CATALOGUE |= {
    "cohort_size": ("Cohort size", "同期群人数"),
    "repeat_purchase_rate": ("Repeat purchase rate", "复购率"),
    "average_satisfaction": ("Average satisfaction", "平均满意度"),
    "city": ("City", "城市"),
    "r_score": ("Recency score", "最近购买评分"),
    "f_score": ("Frequency score", "购买频次评分"),
    "m_score": ("Monetary score", "消费金额评分"),
    "score": ("Score", "评分"),
    "month_end": ("Month", "月份"),
    "units_sold_28d": ("Units sold, last 28 days", "近 28 天销售件数"),
    "lead_time_days": ("Lead time (days)", "交货期（天）"),
    "alert_reason": ("Why", "原因"),
    "net_revenue_growth_vs_previous_pct": ("Net revenue vs previous", "净销售额较上期"),
    "net_revenue_growth_vs_year_ago_pct": ("Net revenue vs year ago", "净销售额较去年同期"),
    "orders_growth_vs_previous_pct": ("Orders vs previous", "订单数较上期"),
    "orders_growth_vs_year_ago_pct": ("Orders vs year ago", "订单数较去年同期"),
    "revenue_rank": ("Rank", "排名"),
    "cumulative_revenue_share": ("Cumulative share", "累计占比"),
    "skus": ("SKUs", "SKU 数"),
    "unit_cost": ("Unit cost", "单位成本"),
    "list_price": ("List price", "标价"),
    "is_stockout": ("Out of stock", "缺货"),
    "batch_id": ("Batch", "批次"),
    "finished_at": ("Finished", "结束时间"),
    "rows_released": ("Released", "已释放"),
    "message": ("Message", "消息"),
    "table_name": ("Table", "表"),
    "reason_code": ("Reason code", "原因代码"),
    "quarantine_id": ("Quarantine no.", "隔离编号"),
    "source_row": ("Source row", "源文件行"),
    "field": ("Field", "字段"),
    "latest": ("Latest date", "最新日期"),
    "amount": ("Amount", "金额"),
    "rate": ("Rate", "比率"),
}


def fmt_week(value: date | datetime | None, lang: str) -> str:
    """The ISO week holding `value` (2026-W32), the same in both languages."""
    if value is None:
        return "—"
    year, week, _ = value.isocalendar()
    return f"{year}-W{week:02d}"


def fmt_month(value: date | datetime | None, lang: str) -> str:
    """The calendar month holding `value`: 2026-08, or 2026年8月 in Chinese."""
    if value is None:
        return "—"
    return f"{value.year}年{value.month}月" if lang == "zh" else f"{value.year}-{value.month:02d}"
