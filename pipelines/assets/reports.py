"""Thin Dagster assets for the reports domain: one snapshot asset and one schedule per
report (built in, and the user's saved specs), an alerts asset evaluated after every build,
and the first snapshots of a new archive. All logic lives in `pipelines.reports`; these only
call it and attach metadata.
"""

from collections.abc import Iterator, Sequence

import dagster as dg

from pipelines.reports.archive import list_snapshots
from pipelines.reports.charts import EmptyReport
from pipelines.reports.retry import caught_up, retry_pending
from pipelines.reports.runner import report_specs, run_alerts, run_report
from pipelines.reports.spec import Spec, SpecError, load_spec
from pipelines.reports.user_specs import user_spec_paths
from pipelines.resources import SettingsResource
from pipelines.settings import Settings

GROUP = "reports"
ALERTS_KEY = dg.AssetKey(["reports", "alerts"])
FIRST_SNAPSHOTS_KEY = dg.AssetKey(["reports", "first_snapshots"])
# Alerts and first snapshots run after the daily build and after each landing build (a run of
# its own): the pool (one step at a time, pipelines/dagster.yaml) keeps them from overlapping.
ARCHIVE_POOL = "archive"


def _report_asset(spec: Spec, upstream: Sequence[dg.AssetKey]) -> dg.AssetsDefinition:
    key = dg.AssetKey(["reports", spec.name])

    @dg.asset(
        key=key,
        deps=list(upstream),
        group_name=GROUP,
        description=f"{spec.title.en} ({spec.period}): snapshot archived and delivered.",
        check_specs=[
            dg.AssetCheckSpec(
                "delivered", asset=key, description="Every delivery of the snapshot succeeded."
            )
        ],
    )
    def snapshot(
        context: dg.AssetExecutionContext, settings: SettingsResource
    ) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
        result = run_report(spec, settings=settings.get(), send=True)
        archived = result.snapshot
        context.log.info(f"archived {archived.path}")
        yield dg.MaterializeResult(
            metadata={
                "path": dg.MetadataValue.path(str(archived.path)),
                "period": archived.period,
                "version": archived.version,
                "data_version": archived.manifest["data_version"],
                "delivery": archived.delivery_status,
            }
        )
        # A failed delivery leaves the snapshot archived; the failed check makes it visible.
        yield dg.AssetCheckResult(
            check_name="delivered",
            passed=result.delivered,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={o.channel: f"{o.status}: {o.detail}" for o in result.outcomes},
        )

    return snapshot


def _alerts_asset(specs: Sequence[Spec], upstream: Sequence[dg.AssetKey]) -> dg.AssetsDefinition:
    @dg.asset(
        key=ALERTS_KEY,
        deps=list(upstream),
        group_name=GROUP,
        pool=ARCHIVE_POOL,
        description="Alert rules evaluated after every build, each sent at most once per day; "
        "report e-mails that failed before are retried with back-off.",
        check_specs=[
            dg.AssetCheckSpec(
                "deliveries_caught_up",
                asset=ALERTS_KEY,
                description="No archived report snapshot is left with an undelivered e-mail.",
            )
        ],
    )
    def alerts(
        context: dg.AssetExecutionContext, settings: SettingsResource
    ) -> dg.MaterializeResult:
        own = settings.get()
        # Retried first: a broken alert rule must not hold back a pending report.
        retried = retry_pending(own)
        for outcome in retried:
            context.log.info(f"retry {outcome.name}: {outcome.status} ({outcome.detail})")
        results = run_alerts(specs, own)
        for row in results:
            context.log.info(f"{row['rule']}: {row['status']}")
        failed = [r for r in results if str(r["status"]).startswith("send failed")]
        return dg.MaterializeResult(
            metadata={
                "rules": dg.MetadataValue.json(results),
                "triggered": sum(1 for r in results if r["status"] in ("sent", "triggered")),
                "send_failures": len(failed),
                "deliveries_retried": sum(
                    1 for o in retried if o.status in ("delivered", "failed")
                ),
            },
            # Still failing after this build's retry stays visible until a later one succeeds.
            check_results=[
                dg.AssetCheckResult(
                    check_name="deliveries_caught_up",
                    passed=caught_up(retried),
                    # Given up (retry rounds spent) only: a warning, no longer retried.
                    severity=dg.AssetCheckSeverity.WARN
                    if all(o.status in ("delivered", "gave up") for o in retried)
                    else dg.AssetCheckSeverity.ERROR,
                    metadata={o.name: f"{o.status}: {o.detail}" for o in retried},
                )
            ],
        )

    return alerts


def _first_snapshots_asset(
    specs: Sequence[Spec], upstream: Sequence[dg.AssetKey]
) -> dg.AssetsDefinition:
    @dg.asset(
        key=FIRST_SNAPSHOTS_KEY,
        deps=list(upstream),
        group_name=GROUP,
        pool=ARCHIVE_POOL,
        description="Each built-in report with no snapshot yet is run once for the latest "
        "complete period (archived, not sent), so the archive is never empty after a build.",
    )
    def first_snapshots(
        context: dg.AssetExecutionContext, settings: SettingsResource
    ) -> dg.MaterializeResult:
        own = settings.get()
        made: dict[str, str] = {}
        for spec in specs:
            if list_snapshots(own.reports_dir, spec.name):
                continue
            try:
                archived = run_report(spec, settings=own, send=False).snapshot
            except EmptyReport as exc:  # marts without the report's data yet: a later build
                context.log.info(f"{spec.name}: no snapshot yet ({exc})")
                continue
            context.log.info(f"{spec.name}: archived {archived.path}")
            made[spec.name] = archived.period
        return dg.MaterializeResult(metadata={"snapshots": dg.MetadataValue.json(made)})

    return first_snapshots


def user_report_specs(settings: Settings) -> list[Spec]:
    """The user's saved report specs (`<reports dir>/specs/`); a spec that no longer loads,
    or that takes a built-in report's name, is left out (`orderlens report check` says why)."""
    builtin = {spec.name for spec in report_specs("report")}
    specs = []
    for path in user_spec_paths(settings):
        try:
            spec = load_spec(path)
        except SpecError:
            continue
        if spec.kind == "report" and spec.name not in builtin:
            specs.append(spec)
    return specs


def build_report_definitions(
    upstream_keys: Sequence[dg.AssetKey], settings: Settings | None = None
) -> tuple[list[dg.AssetsDefinition], list[dg.ScheduleDefinition]]:
    """Report assets (one schedule each, after the marts publish), the alerts asset and the
    first snapshots asset; with settings, the user's saved specs get theirs too."""
    assets: list[dg.AssetsDefinition] = []
    schedules: list[dg.ScheduleDefinition] = []
    saved = user_report_specs(settings) if settings is not None else []
    for spec in [*report_specs("report"), *saved]:
        asset = _report_asset(spec, upstream_keys)
        assets.append(asset)
        job = dg.define_asset_job(f"report_{spec.name}", selection=[asset.key])
        schedules.append(
            dg.ScheduleDefinition(
                name=f"report_{spec.name}_schedule",
                job=job,
                cron_schedule=spec.schedule or "0 7 * * 1",
                default_status=dg.DefaultScheduleStatus.RUNNING,
            )
        )
    assets.append(_alerts_asset(report_specs("alert"), upstream_keys))
    assets.append(_first_snapshots_asset(report_specs("report"), upstream_keys))
    return assets, schedules
