"""Scheduled report snapshots and alerts: specs, querying, rendering, the archive, delivery.

Reports read only the published serving file, read-only; no SQL text ever comes from a spec.
"""
