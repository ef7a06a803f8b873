"""dagster-dbt wiring of `dbt_project/`: one `@dbt_assets` that streams `dbt build`.

dbt tests surface as Dagster asset checks; `source('raw', <table>)` maps to the ingest
assets `["raw", <table>]` with no glue code.
"""

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)

from pipelines.resources import SettingsResource
from pipelines.settings import Settings, child_environment
from pipelines.transform.lake import collect_marts, export_raw
from pipelines.transform.state import full_build_reason
from pipelines.warehouse import writer_lock

DBT_DIR = Path(__file__).resolve().parents[2] / "dbt_project"


def dbt_project() -> DbtProject:
    return DbtProject(project_dir=DBT_DIR, profiles_dir=DBT_DIR)


def dbt_vars(settings: Settings) -> list[str]:
    """dbt's `--vars` for this data directory: the warehouse (profiles.yml) and the business's
    time zone (dbt_project.yml), and on Spark the lake and the cluster. Run by hand, dbt reads
    them from the environment instead.

    dagster-dbt starts dbt with its own process's environment, so the values travel as vars."""
    values = {
        "warehouse": str(settings.warehouse_path),
        "business_timezone": settings.business_timezone,
    }
    if settings.engine == "spark":
        values |= {"lake": str(settings.lake_dir), "spark_master": settings.spark_master}
    return ["--vars", json.dumps(values)]


def dbt_target(settings: Settings) -> list[str]:
    """The profile's target of the engine (profiles.yml): `dev` is DuckDB's."""
    return ["--target", "spark"] if settings.engine == "spark" else []


def dbt_executable() -> str:
    """dbt's own command line of this interpreter's environment (it need not be on PATH)."""
    return str(Path(sys.executable).with_name("dbt"))


def dbt_run_dir(run_id: str) -> Path:
    """The target folder of a Dagster run's `dbt build`: its dbt.log, run_results.json."""
    return DBT_DIR / "target" / f"orderlens_dbt-{run_id}"


def _modified(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:  # removed meanwhile by another data directory's build
        return 0.0


# The run folders kept (6-11 MB each): the latest builds' logs and results.
KEPT_RUN_DIRS = 20


def keep_parse_state(run_dir: Path, target: Path = DBT_DIR / "target") -> None:
    """Hand a build's parse state on to the next build, and drop the oldest run folders.

    dagster-dbt starts each build from the partial-parse state in `target/`, and dbt parses
    the whole project again (4-5 s) unless that state was made with the same profile, the
    warehouse path included: the state `dbt parse` left there at install time, or the last
    build of another data directory, never matches.
    """
    state = run_dir / "partial_parse.msgpack"
    if state.exists():
        staged = target / f".partial_parse-{run_dir.name}.msgpack"
        shutil.copyfile(state, staged)
        os.replace(staged, target / "partial_parse.msgpack")
    runs = sorted(target.glob("orderlens_dbt-*"), key=_modified)
    for old in runs[:-KEPT_RUN_DIRS]:
        shutil.rmtree(old, ignore_errors=True)


def ensure_manifest(project: DbtProject, settings: Settings) -> Path:
    """Parse the dbt project when its manifest is missing or older than a source file.

    The profile counts as a source (the manifest records the target it was parsed for). The
    partial-parse state the builds start from is not this parse's concern: each build hands
    its own on (`keep_parse_state`), whatever the warehouse path in the profile.
    """
    manifest = project.manifest_path
    sources = [
        p
        for folder in ("models", "macros", "tests")
        for p in (DBT_DIR / folder).rglob("*")
        if p.is_file()
    ] + [DBT_DIR / "dbt_project.yml", DBT_DIR / "profiles.yml"]
    stale = not manifest.exists() or any(
        p.stat().st_mtime > manifest.stat().st_mtime for p in sources
    )
    if stale:
        subprocess.run(
            [
                dbt_executable(),
                "parse",
                "--quiet",
                "--profiles-dir",
                str(DBT_DIR),
                *dbt_vars(settings),
            ],
            cwd=DBT_DIR,
            env=child_environment(settings),
            check=True,
        )
    return project.manifest_path


# The daily build runs at 05:00; a mart older than a day and a bit is stale.
MART_FRESHNESS = dg.FreshnessPolicy.time_window(
    fail_window=timedelta(hours=26), warn_window=timedelta(hours=25)
)


class OrderLensTranslator(DagsterDbtTranslator):
    def get_asset_spec(
        self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None
    ) -> dg.AssetSpec:
        spec = (
            super()
            .get_asset_spec(manifest, unique_id, project)
            .replace_attributes(group_name="transform")
        )
        props = manifest["nodes"].get(unique_id, {})
        if props.get("resource_type") == "model" and "marts" in props.get("fqn", []):
            spec = dg.apply_freshness_policy(spec, MART_FRESHNESS)
        return spec


class DbtBuildConfig(dg.Config):
    # Rebuild every incremental model from scratch (and test every row): after a change of a
    # model's logic, which the rows it derived before do not follow.
    full_refresh: bool = False
    # dbt's log file (target/<run>/dbt.log) at debug level records every SQL statement: some
    # 4,000 events a daily build, whose JSON formatting costs seconds of the build's CPU.
    # Info (each node's start, end and errors) unless asked for (`orderlens build --verbose`).
    debug_log: bool = False


def build_dbt_assets(project: DbtProject) -> dg.AssetsDefinition:
    @dbt_assets(
        manifest=project.manifest_path,
        project=project,
        dagster_dbt_translator=OrderLensTranslator(
            settings=DagsterDbtTranslatorSettings(enable_source_tests_as_checks=True)
        ),
        pool="warehouse",
    )
    def orderlens_dbt(
        context: dg.AssetExecutionContext,
        dbt: DbtCliResource,
        config: DbtBuildConfig,
        settings: SettingsResource,
    ) -> Iterator[Any]:
        own = settings.get()
        own.data_dir.mkdir(parents=True, exist_ok=True)
        with writer_lock(own, purpose="dbt build"):
            # dbt's unit tests check the SQL, not the data: `make test` runs them on every
            # change of the code; a data build need not repeat them.
            args = ["build", "--exclude-resource-type", "unit_test", *dbt_vars(own)]
            args += [*dbt_target(own), "--log-level-file", "debug" if config.debug_log else "info"]
            reason = "asked for" if config.full_refresh else full_build_reason(own)
            if reason is not None:
                context.log.info(f"full build: {reason}")
                args.append("--full-refresh")
            if own.engine == "spark":
                # The batches since the last export go to the lake, Spark's raw tables.
                export = export_raw(own, full=reason is not None)
                context.log.info(
                    f"exported to {own.lake_dir}: {sum(export.rows.values()):,} row(s) up to "
                    f"batch {export.batch_id}" + (" (all of them)" if export.full else "")
                )
            run_dir = dbt_run_dir(context.run_id)
            try:
                yield from dbt.cli(args, context=context, target_path=run_dir).stream()
            finally:
                keep_parse_state(run_dir)
            if own.engine == "spark":
                # The marts Spark wrote in the lake into the warehouse, for forecasting and
                # publish, each table made from its contract.
                rows = collect_marts(own, run_dir / "manifest.json")
                context.log.info(f"collected {len(rows)} mart(s) from the lake")

    return orderlens_dbt
