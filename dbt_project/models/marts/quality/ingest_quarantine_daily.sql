-- One row per day x table_name x reason_code x status: how many rows the ingest put in
-- quarantine that day (the business's local day its batch started), by the table they were meant for,
-- why (the first reason of each row) and where they stand now (held, waiting for a parent,
-- released by a later batch, or superseded when a corrected mapping replaced their batch).
-- Released and superseded rows stay on the day they were quarantined, so the history does
-- not move; only their status does. Rows a mapping excluded on purpose are kept in
-- ops.quarantine with their reason but are no quarantine: they are not counted here.
with quarantine as (
    select * from {{ source('ops', 'quarantine') }}
),

batches as (
    select * from {{ source('ops', 'ingest_batches') }}
),

dated as (
    select
        quarantine.quarantine_id,
        quarantine.batch_id,
        quarantine.table_name,
        quarantine.reason_code,
        quarantine.status,
        {{ local_date('batches.started_at') }} as quarantined_date
    from quarantine
    inner join batches
        on quarantine.batch_id = batches.batch_id
    where quarantine.status != 'excluded'
),

daily as (
    select
        quarantined_date,
        table_name,
        reason_code,
        status,
        count(*) as rows_quarantined,
        count(distinct batch_id) as batches
    from dated
    group by quarantined_date, table_name, reason_code, status
),

final as (
    select
        quarantined_date,
        table_name,
        reason_code,
        status,
        cast(rows_quarantined as bigint) as rows_quarantined,
        cast(batches as bigint) as batches
    from daily
)

select * from final
