"""Thin Dagster assets for the reports domain: one snapshot asset and one schedule per
built-in report, and an alerts asset evaluated after every build. All logic lives in
`pipelines.reports`; these only call it and attach metadata.
"""

from collections.abc import Iterator, Sequence

import dagster as dg

from pipelines.reports.runner import report_specs, run_alerts, run_report
from pipelines.reports.spec import Spec

GROUP = "reports"
ALERTS_KEY = dg.AssetKey(["reports", "alerts"])


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
        context: dg.AssetExecutionContext,
    ) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
        result = run_report(spec, send=True)
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
        description="Alert rules evaluated after every build; each sent at most once per day.",
    )
    def alerts(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        results = run_alerts(specs)
        for row in results:
            context.log.info(f"{row['rule']}: {row['status']}")
        failed = [r for r in results if str(r["status"]).startswith("send failed")]
        return dg.MaterializeResult(
            metadata={
                "rules": dg.MetadataValue.json(results),
                "triggered": sum(1 for r in results if r["status"] in ("sent", "triggered")),
                "send_failures": len(failed),
            }
        )

    return alerts


def build_report_definitions(
    upstream_keys: Sequence[dg.AssetKey],
) -> tuple[list[dg.AssetsDefinition], list[dg.ScheduleDefinition]]:
    """Report assets (one schedule each, after the marts publish) and the alerts asset."""
    assets: list[dg.AssetsDefinition] = []
    schedules: list[dg.ScheduleDefinition] = []
    for spec in report_specs("report"):
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
    return assets, schedules
