{#- The business's calendar. Timestamps are stored in UTC; every date a mart groups or compares
    by is the business's local date (var business_timezone, from ORDERLENS_BUSINESS_TIMEZONE,
    default UTC, checked as an IANA name by OrderLens's settings before dbt runs).
    - local_ts(ts): the local wall-clock time of a UTC timestamp (a timestamp without zone);
    - local_date(ts): its local calendar date.
    In UTC both are the column itself: no conversion is paid. -#}
{% macro business_timezone() -%}
    {%- set zone = var('business_timezone', 'UTC') | string | trim -%}
    {#- A zone name is letters, digits and / _ + - (it is written into the SQL as text). -#}
    {%- set plain = zone | replace('/', '') | replace('_', '') | replace('-', '') | replace('+', '') -%}
    {%- if not (plain and plain.isalnum() and plain.isascii()) -%}
        {{ exceptions.raise_compiler_error('business_timezone ' ~ zone ~ ' is not a time zone name') }}
    {%- endif -%}
    {{ return(zone) }}
{%- endmacro %}

{% macro local_ts(ts) -%}
    {%- set zone = business_timezone() -%}
    {%- if zone in ('UTC', 'Etc/UTC') -%}
        {{ ts }}
    {%- else -%}
        {{ adapter.dispatch('local_ts')(ts, zone) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__local_ts(ts, zone) -%}
    {#- DuckDB: read the naive value as UTC, then take the wall clock of the zone. -#}
    timezone('{{ zone }}', timezone('UTC', {{ ts }}))
{%- endmacro %}

{% macro spark__local_ts(ts, zone) -%}
    from_utc_timestamp({{ ts }}, '{{ zone }}')
{%- endmacro %}

{% macro local_date(ts) -%}
    cast({{ local_ts(ts) }} as date)
{%- endmacro %}

{#- utc_from_local(ts): the UTC timestamp of a local wall-clock time (the inverse of local_ts),
    e.g. the instant a local day ends. -#}
{% macro utc_from_local(ts) -%}
    {%- set zone = business_timezone() -%}
    {%- if zone in ('UTC', 'Etc/UTC') -%}
        {{ ts }}
    {%- else -%}
        {{ adapter.dispatch('utc_from_local')(ts, zone) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__utc_from_local(ts, zone) -%}
    timezone('UTC', timezone('{{ zone }}', {{ ts }}))
{%- endmacro %}

{% macro spark__utc_from_local(ts, zone) -%}
    to_utc_timestamp({{ ts }}, '{{ zone }}')
{%- endmacro %}
