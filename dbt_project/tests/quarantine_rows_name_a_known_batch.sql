-- Every quarantined row names the ingest batch that rejected it (ops.quarantine.batch_id ->
-- ops.ingest_batches). A singular test naming the ledger directly rather than through
-- source(): a test between two sources attaches to no Dagster asset (dagster-dbt logs its
-- result as an observation, with a warning on every build); on one source it is a check of
-- the asset ops/quarantine.
select quarantine.*
from {{ source('ops', 'quarantine') }} as quarantine
anti join ops.ingest_batches as batches
    on quarantine.batch_id = batches.batch_id
where quarantine.batch_id is not null
