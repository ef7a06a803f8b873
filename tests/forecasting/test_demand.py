from datetime import date, datetime, time, timedelta

import duckdb
import polars as pl
import pytest

from pipelines.assets.forecasting import INPUTS, read_frames
from pipelines.forecasting.demand import CLOCK_DAYS, daily_demand, last_complete_day

START = date(2025, 1, 6)  # a Monday


def _day(n: int) -> date:
    return START + timedelta(days=n)


def _sales(units_by_day: dict[int, int]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "sku": "A",
            "warehouse_id": "W",
            "date": [_day(n) for n in units_by_day],
            "units": list(units_by_day.values()),
        }
    )


def test_days_without_sales_are_zero_and_series_runs_to_end():
    out = daily_demand(_sales({0: 3, 2: 5}), None, end=_day(4))
    assert out.get_column("date").to_list() == [_day(n) for n in range(5)]
    assert out.get_column("demand").to_list() == [3.0, 0.0, 5.0, 0.0, 0.0]
    assert not out.get_column("is_censored").any()


def test_several_sales_rows_of_one_day_are_summed():
    sales = pl.concat([_sales({0: 3}), _sales({0: 4})])
    assert daily_demand(sales, None, end=_day(0)).get_column("demand").to_list() == [7.0]


def test_stockout_day_is_censored_not_zero():
    stock = pl.DataFrame(
        {"sku": ["A"], "warehouse_id": ["W"], "date": [_day(1)], "is_stockout": [True]}
    )
    out = daily_demand(_sales({0: 3, 1: 1, 2: 5}), stock, end=_day(2))
    censored = out.filter(pl.col("date") == _day(1)).row(0, named=True)
    assert censored["is_censored"] is True
    assert censored["demand"] is None
    # what was sold on the stockout day stays visible, but is not demand
    assert censored["units"] == 1.0


def test_censored_day_is_imputed_from_the_same_weekday_of_previous_weeks():
    # Mondays of weeks 0..3 sold 4, 6, 8, 10; Monday of week 4 is out of stock.
    sales = _sales({0: 4, 7: 6, 14: 8, 21: 10, 1: 100, 8: 100})
    stock = pl.DataFrame(
        {"sku": ["A"], "warehouse_id": ["W"], "date": [_day(28)], "is_stockout": [True]}
    )
    out = daily_demand(sales, stock, end=_day(29))
    filled = out.filter(pl.col("date") == _day(28)).get_column("demand_filled").item()
    assert filled == pytest.approx((4 + 6 + 8 + 10) / 4)  # 7.0; Tuesdays' 100s do not count
    # in-stock days keep their demand
    assert out.filter(pl.col("date") == _day(21)).get_column("demand_filled").item() == 10.0


def test_leading_censored_day_falls_back_to_series_mean():
    stock = pl.DataFrame(
        {"sku": ["A"], "warehouse_id": ["W"], "date": [_day(0)], "is_stockout": [True]}
    )
    out = daily_demand(_sales({1: 2, 2: 4}), stock, end=_day(2))
    assert out.get_column("demand_filled").to_list() == [3.0, 2.0, 4.0]


def _order_times(closing: list[time], last: time) -> pl.DataFrame:
    """Two orders a day: one at 09:00 and the day's last at `closing[i]`; then the last day."""
    days = [*closing, last]
    return pl.DataFrame(
        {
            "date": [_day(i) for i in range(len(days)) for _ in (0, 1)],
            "at": [
                datetime.combine(_day(i), t)
                for i, closing_time in enumerate(days)
                for t in (time(9, 0), closing_time)
            ],
        }
    )


def test_export_cut_mid_day_makes_the_last_day_incomplete():
    # Shops closing between 16:00 and 20:00 for four weeks; the export stops at 12:50.
    closing = [time(16 + i % 5, 0) for i in range(CLOCK_DAYS)]
    assert last_complete_day(_order_times(closing, time(12, 50))) == _day(CLOCK_DAYS - 1)


def test_last_day_closing_within_the_usual_hours_is_complete():
    closing = [time(16 + i % 5, 0) for i in range(CLOCK_DAYS)]
    assert last_complete_day(_order_times(closing, time(16, 30))) == _day(CLOCK_DAYS)


def test_the_first_day_of_summer_time_closing_at_the_usual_hour_is_complete():
    # A London shop's last order at 20:00 every day; the last day is the first of summer time
    # (29 March 2026), when 20:00 is 19:00 UTC. The warehouse keeps the times in UTC.
    last = date(2026, 3, 29)
    days = [last - timedelta(days=n) for n in range(CLOCK_DAYS, -1, -1)]
    utc = [datetime.combine(d, time(20 if d < last else 19, 0)) for d in days]
    con = duckdb.connect()
    con.execute("create schema marts")
    frame = pl.DataFrame({"ordered_date": days, "started_at": utc, "stage": "order_cycle"})
    con.register("frame", frame.to_arrow())
    con.execute("create table marts.order_stage_durations as select * from frame")
    query = {"order_times": INPUTS["order_times"]}
    local = read_frames(con, query, since=date.min, zone="Europe/London")["order_times"]
    assert local.get_column("at").dt.hour().unique().to_list() == [20]
    assert last_complete_day(local) == last
    # Read on UTC's clock, the day would look cut an hour early.
    as_utc = read_frames(con, query, since=date.min, zone="UTC")["order_times"]
    assert last_complete_day(as_utc) == last - timedelta(days=1)


def test_too_few_order_days_to_judge_leave_the_last_day_complete():
    closing = [time(20, 0)] * (CLOCK_DAYS - 1)
    assert last_complete_day(_order_times(closing, time(10, 0))) == _day(CLOCK_DAYS - 1)


def test_no_orders_give_no_last_complete_day():
    empty = pl.DataFrame(schema={"date": pl.Date, "at": pl.Datetime("us")})
    assert last_complete_day(empty) is None


def test_days_after_the_last_complete_one_are_censored_and_imputed():
    # Mondays of weeks 0..3 sold 4, 6, 8, 10; week 4's Monday is the export's cut last day.
    sales = _sales({0: 4, 7: 6, 14: 8, 21: 10, 28: 1})
    out = daily_demand(sales, None, end=_day(28), complete_through=_day(27))
    cut = out.filter(pl.col("date") == _day(28)).row(0, named=True)
    assert cut["is_censored"] is True and cut["demand"] is None
    assert cut["units"] == 1.0  # sold, but not a whole day's demand
    assert cut["demand_filled"] == pytest.approx((4 + 6 + 8 + 10) / 4)
    assert not out.filter(pl.col("date") < _day(28)).get_column("is_censored").any()
