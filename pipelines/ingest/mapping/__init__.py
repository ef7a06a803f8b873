"""Column mappings: a foreign export mapped onto the canonical tables by a YAML file.

A mapping reads one file or the several files of one export (joined by declared keys),
renames and derives columns, routes every source row to one table or excludes it with a
stated reason, and builds further tables from the routed rows (one row per key, or one row
per non-empty column of an unpivot). It never runs Python from the file: expressions are
Polars SQL expressions (`pl.sql_expr`). The file format, with an example of every feature,
is in docs/mapping.md.

Modules: `spec` (what a mapping says), `load` (reading and validating a file), `exprs` (the
Polars expressions of values), `apply` (mapping read files onto tables, with the account of
every source row).
"""

from pipelines.ingest.mapping.apply import MappedBatch, apply_export, apply_mapping
from pipelines.ingest.mapping.load import load_mapping
from pipelines.ingest.mapping.spec import Mapping, MappingError, Part

__all__ = [
    "MappedBatch",
    "Mapping",
    "MappingError",
    "Part",
    "apply_export",
    "apply_mapping",
    "load_mapping",
]
