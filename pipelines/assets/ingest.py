"""Ingest assets `["raw", <table>]`, and the sensor that turns landed files into ingest runs."""

import shutil
from pathlib import Path

import dagster as dg

from pipelines.ingest.contract import TABLES
from pipelines.resources import SettingsResource

SUPPORTED = (".csv", ".txt", ".gz", ".jsonl", ".ndjson", ".json", ".parquet", ".xlsx")


OPS_TABLES = {
    "ingest_batches": "The ingest ledger: one row per batch with where its rows went.",
    "quarantine": "One row per row held back by the ingest, with its reasons and original values.",
}


class IngestConfig(dg.Config):
    paths: list[str] = []  # files to load; empty: every file now in data/landing/
    mapping: str | None = None


def landed_files(landing: Path) -> list[Path]:
    if not landing.exists():
        return []
    return sorted(
        p
        for p in landing.iterdir()
        if p.is_file() and not p.name.startswith(".") and p.name.lower().endswith(SUPPORTED)
    )


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
    paths = [Path(p) for p in config.paths] or landed_files(own.landing_dir)
    results = (
        ingest_paths(paths, mapping=Path(config.mapping) if config.mapping else None, settings=own)
        if paths
        else []
    )
    for result in results:
        path = Path(result.source)
        context.log.info(
            f"{path.name}: {result.status}, {result.rows_loaded} loaded, "
            f"{result.rows_quarantined} quarantined, {result.rows_excluded} excluded"
        )
        if path.parent == own.landing_dir:  # landed files move out once processed
            target = own.landing_dir / ("rejected" if result.status == "rejected" else "processed")
            target.mkdir(exist_ok=True)
            shutil.move(str(path), target / path.name)
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


@dg.sensor(
    job=ingest_job, minimum_interval_seconds=30, default_status=dg.DefaultSensorStatus.RUNNING
)
def landing_sensor(context: dg.SensorEvaluationContext, settings: SettingsResource):
    """A file dropped into data/landing/ becomes one ingest run (once per name, size and time)."""
    for path in landed_files(settings.get().landing_dir):
        stat = path.stat()
        yield dg.RunRequest(
            run_key=f"{path.name}:{stat.st_size}:{stat.st_mtime_ns}",
            run_config=dg.RunConfig(ops={"raw_tables": IngestConfig(paths=[str(path)])}),
        )
