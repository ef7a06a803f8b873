"""Publishing: after a successful build, the marts go to a new read-only serving file."""

from collections.abc import Sequence

import dagster as dg

from pipelines.resources import SettingsResource
from pipelines.warehouse import publish, writer_lock

SERVING_KEY = dg.AssetKey(["serving", "published"])


def build_publish_asset(upstream: Sequence[dg.AssetKey]) -> dg.AssetsDefinition:
    @dg.asset(
        key=SERVING_KEY,
        deps=list(upstream),
        group_name="publish",
        pool="warehouse",
        description="The versioned, read-only serving file readers open; swapped in atomically.",
    )
    def published(
        context: dg.AssetExecutionContext, settings: SettingsResource
    ) -> dg.MaterializeResult:
        own = settings.get()
        with writer_lock(own, purpose="publish"):
            path = publish(own)
        context.log.info(f"published {path}")
        return dg.MaterializeResult(
            metadata={
                "file": dg.MetadataValue.path(str(path)),
                "version": dg.MetadataValue.text(path.stem),
                "bytes": dg.MetadataValue.int(path.stat().st_size),
            }
        )

    return published
