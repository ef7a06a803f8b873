"""Ingest assets `["raw", <table>]`, and the sensor that turns landed files into builds."""

import time
from pathlib import Path

import dagster as dg

from pipelines.ingest.contract import TABLES
from pipelines.ingest.landing import Landed, file_away, landed_batches
from pipelines.resources import SettingsResource

OPS_TABLES = {
    "ingest_batches": "The ingest ledger: one row per batch with where its rows went.",
    "quarantine": "One row per row held back by the ingest, with its reasons and original values.",
}


class IngestConfig(dg.Config):
    paths: list[str] = []  # files to load; empty: every drop now in data/landing/
    mapping: str | None = None


@dg.multi_asset(
    specs=[
        *[
            dg.AssetSpec(["raw", name], description=table.grain, group_name="ingest")
            for name, table in TABLES.items()
        ],
        *[
            dg.AssetSpec(["ops", name], description=description, group_name="ingest")
            for name, description in OPS_TABLES.items()
        ],
    ],
    can_subset=True,
    pool="warehouse",
)
def raw_tables(context: dg.AssetExecutionContext, config: IngestConfig, settings: SettingsResource):
    """Load landed export files (each in one transaction), then report every raw table."""
    import duckdb

    from pipelines.ingest.api import ingest_paths

    own = settings.get()
    if config.paths:
        mapping = Path(config.mapping) if config.mapping else None
        drops = [Landed(tuple(Path(p) for p in config.paths), mapping)]
    else:  # everything landed now (a build by hand or on schedule)
        drops = landed_batches(own, now=time.time(), settle_s=0)
    results = []
    for drop in drops:
        # A file an earlier run already loaded and moved is not there any more.
        paths = [p for p in drop.paths if p.exists()]
        if not paths:
            continue
        loaded = ingest_paths(paths, mapping=drop.mapping, settings=own)
        for result in loaded:
            context.log.info(
                f"{result.source}: {result.status}, {result.rows_loaded} loaded, "
                f"{result.rows_quarantined} quarantined, {result.rows_excluded} excluded"
            )
            # A multi-file export is one batch whose source names all its files.
            sources = set(result.source.split(", "))
            for path in paths:  # landed files move out once processed
                if str(path) in sources:
                    file_away(path, result.status == "rejected", own.landing_dir)
        results.extend(loaded)
    rejected = [r for r in results if r.status == "rejected"]
    counts: dict[str, int] = {}
    if own.warehouse_path.exists():
        with duckdb.connect(str(own.warehouse_path), read_only=True) as con:
            for schema, names in (("raw", list(TABLES)), ("ops", list(OPS_TABLES))):
                for name in names:
                    sql = f"SELECT count(*) FROM {schema}.{name}"  # noqa: S608 (fixed names)
                    counts[f"{schema}.{name}"] = int(con.sql(sql).fetchall()[0][0])
    for key in context.selected_asset_keys:
        yield dg.MaterializeResult(
            asset_key=key,
            metadata={
                "rows": dg.MetadataValue.int(counts.get(".".join(key.path), 0)),
                "batches_this_run": dg.MetadataValue.int(len(results)),
                "rejected_files": dg.MetadataValue.int(len(rejected)),
            },
        )
    if rejected:
        raise dg.Failure(
            description="; ".join(r.message for r in rejected),
            metadata={"rejected": len(rejected)},
        )


ingest_job = dg.define_asset_job("ingest_landing", selection=dg.AssetSelection.groups("ingest"))


def build_landing_sensor(job: "dg.UnresolvedAssetJobDefinition", interval_s: int):
    """The sensor that turns each drop in data/landing/ into a run of `job` (ingest, an
    incremental build, publish), once per drop, after its files have stopped changing."""

    @dg.sensor(
        name="landing_sensor",
        job=job,
        minimum_interval_seconds=interval_s,
        default_status=dg.DefaultSensorStatus.RUNNING,
    )
    def landing_sensor(context: dg.SensorEvaluationContext, settings: SettingsResource):
        own = settings.get()
        drops = landed_batches(own, now=time.time(), settle_s=own.landing_settle_s)
        # The cursor holds the drops already asked for, still in the landing until their run
        # moves them: each is asked for (and logged) once.
        asked = set((context.cursor or "").split(","))
        context.update_cursor(",".join(drop.key for drop in drops))
        for drop in drops:
            if drop.key in asked:
                continue
            context.log.info(f"landed: {drop.label}")
            config = IngestConfig(
                paths=[str(p) for p in drop.paths],
                mapping=str(drop.mapping) if drop.mapping else None,
            )
            yield dg.RunRequest(
                run_key=drop.key, run_config=dg.RunConfig(ops={"raw_tables": config})
            )

    return landing_sensor


def build_after_landing_sensor(
    landing: "dg.UnresolvedAssetJobDefinition",
    after: "dg.UnresolvedAssetJobDefinition",
    interval_s: int,
):
    """The sensor that asks for `after` (alerts, first snapshots) once each landing build has
    succeeded: in a run of its own, so a landed drop's rows are shown without waiting for it."""

    @dg.run_status_sensor(
        name="after_landing_sensor",
        run_status=dg.DagsterRunStatus.SUCCESS,
        monitored_jobs=[landing],
        request_job=after,
        minimum_interval_seconds=interval_s,
        default_status=dg.DefaultSensorStatus.RUNNING,
    )
    def after_landing_sensor(context: dg.RunStatusSensorContext):
        return dg.RunRequest(run_key=context.dagster_run.run_id)

    return after_landing_sensor
