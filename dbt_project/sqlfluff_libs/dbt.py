"""dbt's cross-database macros for sqlfluff's jinja templater (lint only; dbt renders the real ones).

sqlfluff-templater-dbt does not load with this dbt-core, so `.sqlfluff` uses the jinja
templater with `apply_dbt_builtins` and this module as the `dbt` namespace: each function
returns SQL of the same shape as the DuckDB rendering.
"""


def date_trunc(datepart, date):  # noqa: ANN001, ANN201
    return f"date_trunc('{datepart}', {date})"


def dateadd(datepart, interval, from_date_or_timestamp):  # noqa: ANN001, ANN201
    return f"({from_date_or_timestamp} + interval ({interval}) {datepart})"


def datediff(first_date, second_date, datepart):  # noqa: ANN001, ANN201
    return f"date_diff('{datepart}', {first_date}, {second_date})"


def last_day(date, datepart):  # noqa: ANN001, ANN201
    return f"last_day({date})"


def type_string():  # noqa: ANN201
    return "varchar"


def date_spine(datepart, start_date, end_date):  # noqa: ANN001, ANN201
    return f"select range as date_{datepart} from range({start_date}, {end_date}, interval 1 {datepart})"
