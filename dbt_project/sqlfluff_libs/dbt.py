"""dbt's cross-database macros for sqlfluff's jinja templater (lint only).

sqlfluff-templater-dbt does not load with this dbt-core, so `.sqlfluff` uses the jinja
templater with `apply_dbt_builtins` and this module as the `dbt` namespace: each function
returns SQL of the same shape as the DuckDB rendering. dbt renders the real macros.
"""


def date_trunc(datepart: str, date: str) -> str:
    return f"date_trunc('{datepart}', {date})"


def dateadd(datepart: str, interval: object, from_date_or_timestamp: str) -> str:
    return f"({from_date_or_timestamp} + interval ({interval}) {datepart})"


def datediff(first_date: str, second_date: str, datepart: str) -> str:
    return f"date_diff('{datepart}', {first_date}, {second_date})"


def last_day(date: str, datepart: str) -> str:
    return f"last_day({date})"


def type_string() -> str:
    return "varchar"


def date_spine(datepart: str, start_date: str, end_date: str) -> str:
    step = f"interval 1 {datepart}"
    return f"select range as date_{datepart} from range({start_date}, {end_date}, {step})"  # noqa: S608
