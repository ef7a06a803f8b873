"""Reading export files into Polars frames, rejecting whole files that cannot be read.

Every reader returns the file's rows plus `_source_row`, the 1-based data row number (the
header is not counted), so that every quarantined row can be traced back to the file.
Text formats (CSV, TXT, TSV, their `.gz`, XLSX) come back with every column as text: the
loader casts to the contract and reports each value that does not cast, naming the field.
JSON lines and Parquet keep their native types.

A file that cannot be read at all raises `BatchRejected` naming the file, the line and the
field when they are known: nothing of such a file is loaded. Whatever a parsing library
raises on a broken file (pyarrow, Polars, the csv and gzip modules) becomes such a
rejection, including a Polars panic, which arrives as pyo3's `PanicException`, a
BaseException. Parquet is read by pyarrow: on some corrupt page headers Polars' own reader
asks for an absurd allocation and aborts the process, which nothing could catch.

Text files may end their lines in LF, CRLF or a lone CR (old Excel and Mac exports) and may
start with a UTF-8 BOM; line numbers in rejections count every kind of line end. Their
fields are laid out in one of three formats (the mapping's `source.format`): `csv`
(delimited and quoted, the default), `whitespace` (fields separated by runs of spaces or
tabs, no quoting) or `fixed_width` (every line, header included, cut at `widths`
characters, values trimmed). The two plain layouts are read line by line with Polars string
expressions; blank lines are skipped in all three.

CSV is parsed by pyarrow, not `pl.read_csv`: Polars silently pads a row that has too few
fields with nulls (a truncated file or broken quoting would load as half-empty rows), while
pyarrow rejects it. On 10.3 million lines (895 MB) pyarrow reads in about 4.5 s here against
1.4 s for Polars; the strictness is worth it. When a parse fails, Python's `csv` module runs
over the file only to find the offending line for the message. pyarrow does accept some
broken quoting (`"a"b"` reads as `ab"`); a quote left in a value is its trace, and only a file
with such a value is re-read by Python's strict `csv` (about 0.13 s per 2 million rows of six
columns to look for the trace; the strict re-read is slow but rare).
"""

from __future__ import annotations

import codecs
import csv
import gzip
import hashlib
import io
import json
import re
import zlib
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from pipelines.ingest.contract import TABLES, load_rank

ROW = "_source_row"

CSV_SUFFIXES = (".csv", ".tsv", ".txt")
JSON_SUFFIXES = (".jsonl", ".ndjson")
SUPPORTED_SUFFIXES = (
    *CSV_SUFFIXES,
    *JSON_SUFFIXES,
    *(s + ".gz" for s in (*CSV_SUFFIXES, *JSON_SUFFIXES)),
    ".parquet",
    ".xlsx",
)
TEXT_FORMATS = ("csv", "whitespace", "fixed_width")  # how a text file's fields are laid out
DELIMITERS = (",", ";", "\t", "|")
_HEAD_BYTES = 1 << 16  # enough to hold any header line we expect
_BLOCK_BYTES = 16 << 20  # pyarrow parses blocks in parallel; 16 MiB measured faster than 1
_FALLBACK_ENCODING = "gb18030"  # superset of GBK / GB2312: exports from Chinese systems
_LINE_BREAK = re.compile(r"\r\n|\r|\n")  # LF, CRLF and CR-only (old Excel and Mac exports)
_BOM = "\ufeff"


class BatchRejected(Exception):
    """A file that cannot be read at all; nothing of it is loaded."""

    def __init__(
        self, source: str, message: str, line: int | None = None, field: str | None = None
    ) -> None:
        self.source = source
        self.message = message
        self.line = line
        self.field = field
        super().__init__(str(self))

    def __str__(self) -> str:
        where = [self.source]
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.field is not None:
            where.append(f"field {self.field!r}")
        return f"{', '.join(where)}: {self.message}"


# --- file names and folders ---------------------------------------------------------------


def _suffix(path: Path) -> str:
    """The supported extension of a file name ('.csv.gz', '.xlsx', ...), lower case, or ''."""
    name = path.name.lower()
    longest_first = sorted(SUPPORTED_SUFFIXES, key=len, reverse=True)
    return next((s for s in longest_first if name.endswith(s)), "")


def table_for_path(path: Path) -> str | None:
    """The canonical table a file is for: `<table>.<ext>` or `<table>__<anything>.<ext>`."""
    stem = path.name.split(".", 1)[0].lower()
    if stem in TABLES:
        return stem
    prefix, sep, _ = stem.partition("__")
    return prefix if sep and prefix in TABLES else None


def _is_hidden(path: Path, root: Path) -> bool:
    # Editors and Excel leave `.name` and `~$name` files next to the real ones.
    parts = path.relative_to(root).parts
    return any(p.startswith((".", "~$")) for p in parts)


def _expand(path: Path) -> list[Path]:
    if not path.is_dir():
        return [path] if _suffix(path) else []
    found = [p for p in path.rglob("*") if p.is_file() and not _is_hidden(p, path)]
    return sorted((p for p in found if _suffix(p)), key=lambda p: str(p))


def list_input_files(paths: list[Path]) -> list[Path]:
    """Files to load, parents before children (so that children find their parents).

    Folders are expanded recursively (hidden files ignored); only supported extensions are
    kept. Files named for a table are sorted by the table's load rank, then by name; files
    named for no table (a mapping may handle them) follow, in the order they were found.
    """
    seen: set[Path] = set()
    files: list[Path] = []
    for path in paths:
        for file in _expand(Path(path)):
            if file.resolve() not in seen:
                seen.add(file.resolve())
                files.append(file)
    named = [f for f in files if table_for_path(f) is not None]
    others = [f for f in files if table_for_path(f) is None]
    named.sort(key=lambda f: (load_rank(table_for_path(f) or ""), f.name, str(f)))
    return named + others


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of the file's bytes (the loader skips a file it has loaded before)."""
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


# --- entry point ----------------------------------------------------------------------------


def read_file(
    path: Path,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | None = None,
    format: str = "csv",
    widths: tuple[int, ...] | None = None,
) -> pl.DataFrame:
    """Read one export file: its rows plus `_source_row` (Int64, 1-based data row number).

    `format` says how the fields of a text file (.csv/.tsv/.txt and their .gz) are laid
    out: `csv` (delimited, quoted), `whitespace` or `fixed_width` (cut at `widths`).
    """
    path = Path(path)
    if format not in TEXT_FORMATS:
        raise ValueError(f"unknown text format {format!r}; one of {', '.join(TEXT_FORMATS)}")
    if format == "fixed_width" and not widths:
        raise ValueError("the fixed_width format needs widths")
    if not path.is_file():
        raise BatchRejected(path.name, "no such file")
    if path.stat().st_size == 0:
        raise BatchRejected(path.name, "empty file")
    try:
        return _read(path, encoding, delimiter, sheet, format, widths)
    except _LIBRARY_ERRORS as exc:
        # What a reader did not foresee still names the file, never ends in a traceback.
        raise BatchRejected(path.name, f"cannot read the file: {_first_line(exc)}") from exc


# Errors the parsing libraries raise on broken input. A panic in Polars' Rust code arrives as
# pyo3's PanicException, a BaseException that `except Exception` does not catch.
_LIBRARY_ERRORS = (
    pa.ArrowException,
    pl.exceptions.PolarsError,
    pl.exceptions.PanicException,
    csv.Error,
    UnicodeError,
    OSError,
    EOFError,
    zlib.error,
)


def _first_line(exc: BaseException) -> str:
    """The first line of an error's text (a Rust panic's text runs on for many lines)."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _read(
    path: Path,
    encoding: str | None,
    delimiter: str | None,
    sheet: str | None,
    format: str,
    widths: tuple[int, ...] | None,
) -> pl.DataFrame:
    suffix = _suffix(path)
    is_text = suffix.removesuffix(".gz") in CSV_SUFFIXES
    if format != "csv" and not is_text:
        text_suffixes = ", ".join(CSV_SUFFIXES)
        raise BatchRejected(
            path.name, f"the {format} format is for text files ({text_suffixes} and their .gz)"
        )
    if format == "whitespace":
        return _read_whitespace(path, encoding)
    if format == "fixed_width":
        return _read_fixed_width(path, encoding, tuple(widths or ()))
    if is_text:
        return _read_csv(path, encoding, delimiter)
    if suffix.removesuffix(".gz") in JSON_SUFFIXES:
        return _read_jsonl(path)
    if suffix == ".parquet":
        return _read_parquet(path)
    if suffix == ".xlsx":
        return _read_xlsx(path, sheet)
    known = ", ".join(SUPPORTED_SUFFIXES)
    raise BatchRejected(path.name, f"unsupported file type; supported: {known}")


def _with_row_numbers(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias(ROW))


def _raw_bytes(path: Path) -> bytes:
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    try:
        with opener(path, "rb") as handle:
            return handle.read()
    except (OSError, EOFError) as exc:  # a corrupt or truncated .gz
        raise BatchRejected(path.name, f"cannot decompress: {exc}") from exc


def _head_bytes(path: Path) -> bytes:
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    try:
        with opener(path, "rb") as handle:
            return handle.read(_HEAD_BYTES)
    except (OSError, EOFError) as exc:
        raise BatchRejected(path.name, f"cannot decompress: {exc}") from exc


def _line_of(data: bytes, offset: int) -> int:
    """The 1-based line of a byte offset; a line ends in LF, CRLF or a lone CR."""
    breaks = data.count(b"\n", 0, offset) + data.count(b"\r", 0, offset)
    return breaks - data.count(b"\r\n", 0, offset) + 1


def _split_first_line(text: str) -> tuple[str, str | None]:
    """(first line, the rest or None when there is no line break), any line ending."""
    parts = _LINE_BREAK.split(text, maxsplit=1)
    return parts[0], parts[1] if len(parts) > 1 else None


# --- CSV --------------------------------------------------------------------------------------


def _decode_head(head: bytes, encoding: str) -> str:
    """Decode the first bytes, tolerating a multi-byte character cut at the end."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    return decoder.decode(head, final=False)


def sniff_delimiter(header_line: str) -> str:
    """The most frequent of `,` `;` TAB `|` outside quotes in the header line (`,` if none)."""
    outside, quoted = [], False
    for char in header_line:
        if char == '"':
            quoted = not quoted
        elif not quoted:
            outside.append(char)
    text = "".join(outside)
    counts = {d: text.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])  # ties: earlier in DELIMITERS wins
    return best if counts[best] else ","


def _parse_header(source: str, text: str, delimiter: str | None) -> tuple[list[str], str]:
    """(column names, delimiter) from the file's first line; rejects blank or repeated names."""
    first_line, _ = _split_first_line(text.removeprefix(_BOM))
    if not first_line.strip():
        raise BatchRejected(source, "empty file (no header line)", line=1)
    sep = delimiter or sniff_delimiter(first_line)
    try:
        header = next(csv.reader([first_line], delimiter=sep))
    except csv.Error as exc:
        raise BatchRejected(source, f"cannot parse the header: {exc}", line=1) from exc
    return _check_names(source, [name.strip() for name in header]), sep


def _check_names(source: str, names: list[str]) -> list[str]:
    """The header's names, or a rejection naming the blank or repeated ones."""
    for position, name in enumerate(names, start=1):
        if not name:
            raise BatchRejected(source, f"blank column name at position {position}", line=1)
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise BatchRejected(source, f"repeated column name(s): {', '.join(repeated)}", line=1)
    if ROW in names:
        raise BatchRejected(source, f"column name {ROW} is reserved", line=1, field=ROW)
    return names


def _locate_bad_record(text: str, sep: str, expected: int) -> tuple[int, str] | None:
    """(line, message) of the first record whose field count is wrong, by Python's csv."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep, strict=False)
    try:
        next(reader)
        start = reader.line_num + 1
        for row in reader:
            if row and len(row) != expected:
                return start, (
                    f"expected {expected} fields, found {len(row)} "
                    "(broken quoting or a truncated row)"
                )
            start = reader.line_num + 1
    except csv.Error as exc:
        return start, f"cannot parse the row: {exc}"
    return None


def _parse_csv(source: pa.NativeFile | str, names: list[str], sep: str) -> pa.Table:
    return pa_csv.read_csv(
        source,
        read_options=pa_csv.ReadOptions(column_names=names, skip_rows=1, block_size=_BLOCK_BYTES),
        parse_options=pa_csv.ParseOptions(delimiter=sep, newlines_in_values=True),
        convert_options=pa_csv.ConvertOptions(
            column_types=dict.fromkeys(names, pa.string()),
            strings_can_be_null=True,  # empty fields are missing values, quoted or not
            quoted_strings_can_be_null=True,
            null_values=[""],
        ),
    )


def _decode_all(source: str, data: bytes, encoding: str | None) -> str:
    """The whole file as text: the given encoding, else UTF-8, else GB18030; else reject."""
    if encoding:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError as exc:
            raise BatchRejected(
                source,
                f"bytes that are not valid {encoding} (first bad byte 0x{data[exc.start]:02X})",
                line=_line_of(data, exc.start),
            ) from exc
        except LookupError as exc:
            raise BatchRejected(source, f"unknown encoding {encoding!r}") from exc
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as utf8_error:
        try:
            return data.decode(_FALLBACK_ENCODING)
        except UnicodeDecodeError as gb_error:
            # The encoding that got further is most likely the file's: name its failure.
            utf8_line = _line_of(data, utf8_error.start)
            gb_line = _line_of(data, gb_error.start)
            bad = gb_error if gb_line > utf8_line else utf8_error
            raise BatchRejected(
                source,
                f"cannot decode byte 0x{data[bad.start]:02X} (not UTF-8 from line {utf8_line}, "
                f"not GB18030 from line {gb_line}); save the file as UTF-8",
                line=max(utf8_line, gb_line),
            ) from gb_error


def _is_utf8(encoding: str | None) -> bool:
    return encoding is None or codecs.lookup(encoding).name in ("utf-8", "utf-8-sig")


def _utf8_head(path: Path, encoding: str | None) -> str | None:
    """The first bytes as text when the file can take the fast path (UTF-8), else None."""
    try:
        if not _is_utf8(encoding):
            return None
        return _decode_head(_head_bytes(path), "utf-8")
    except UnicodeDecodeError:
        return None
    except LookupError as exc:
        raise BatchRejected(path.name, f"unknown encoding {encoding!r}") from exc


def _read_csv(path: Path, encoding: str | None, delimiter: str | None) -> pl.DataFrame:
    source = path.name
    head = _utf8_head(path, encoding)
    if head is not None:
        names, sep = _parse_header(source, head, delimiter)
        try:  # the fast path: pyarrow reads the file (and its .gz) itself
            table = _parse_csv(str(path), names, sep)
            return _finish_csv(source, table, names, sep, lambda: _utf8_text(path))
        except pa.ArrowInvalid as exc:
            if "invalid UTF8" not in str(exc) or encoding is not None:
                return _failed_csv(source, _utf8_text(path, encoding), names, sep, exc)
    # Slow path: decode in Python (GB18030, another named encoding).
    text = _decode_all(source, _raw_bytes(path), encoding).removeprefix(_BOM)
    names, sep = _parse_header(source, text, delimiter)
    try:
        table = _parse_csv(pa.BufferReader(text.encode("utf-8")), names, sep)
    except pa.ArrowInvalid as exc:
        return _failed_csv(source, text, names, sep, exc)
    return _finish_csv(source, table, names, sep, lambda: text)


def _utf8_text(path: Path, encoding: str | None = None) -> str:
    """The whole file as text for error messages (strict when UTF-8 was asked for)."""
    data = _raw_bytes(path)
    if encoding is not None:
        _decode_all(path.name, data, encoding)  # rejects naming the undecodable line
    return data.decode("utf-8", "replace").removeprefix(_BOM)


def _finish_csv(
    source: str, table: pa.Table, names: list[str], sep: str, text: Callable[[], str]
) -> pl.DataFrame:
    frame = pl.from_arrow(table)
    if _may_have_broken_quoting(frame):
        found = _quoting_error(text(), sep)
        if found is not None:
            line, message = found
            raise BatchRejected(source, message, line=line)
    return _with_row_numbers(frame)  # type: ignore[arg-type]


def _may_have_broken_quoting(frame: pl.DataFrame) -> bool:
    """Whether pyarrow may have accepted broken quoting, which leaves only these traces.

    An opening quote never closed swallows the rest of the file into the last record's
    field (a line break in it) when the field count happens to match; a quote inside a quoted
    field that is not doubled (`"a"b"`) ends the quoting early and leaves a stray quote in
    the value (`ab"`). Only then is the file re-read strictly, which is slow.
    """
    if frame.is_empty():
        return False
    text = [c for c, dtype in frame.schema.items() if dtype == pl.String]
    traces = frame.select(
        pl.any_horizontal(pl.col(text).str.contains('"', literal=True)).any().alias("quote"),
        pl.any_horizontal(pl.col(text).last().str.contains("[\r\n]")).alias("open"),
    )
    return bool(traces.row(0)[0] or traces.row(0)[1])


def _failed_csv(source: str, text: str, names: list[str], sep: str, exc: Exception) -> pl.DataFrame:
    """A header-only file is an empty frame; anything else pyarrow refused is rejected."""
    _, rest = _split_first_line(text)
    if rest is None or not rest.strip():
        return _with_row_numbers(pl.DataFrame(schema=dict.fromkeys(names, pl.String)))
    found = _locate_bad_record(text, sep, len(names))
    if found is None:  # pyarrow saw something Python's csv accepts: report pyarrow's words
        raise BatchRejected(source, f"cannot parse the file: {exc}") from exc
    line, message = found
    raise BatchRejected(source, message, line=line) from exc


def _quoting_error(text: str, sep: str) -> tuple[int, str] | None:
    """(first line of the record, message) of the first broken quoting, by Python's strict csv."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep, strict=True)
    start = 1
    while True:
        try:
            next(reader)
        except StopIteration:
            return None
        except csv.Error as exc:
            if "unexpected end of data" in str(exc):
                return start, "quote opened here is never closed"
            return start, f"broken quoting: {exc} (write a quote inside a quoted field twice)"
        start = reader.line_num + 1


# --- whitespace-separated and fixed-width text ---------------------------------------------------


def _numbered_lines(path: Path, encoding: str | None) -> pl.DataFrame:
    """The file's lines as `line` (1-based physical line number) and `text`, header first.

    Blank lines after the header are skipped, as in CSV. The header comes back as the first
    row (line 1) so that both layouts cut it the same way as the data.
    """
    source = path.name
    text = _decode_all(source, _raw_bytes(path), encoding).removeprefix(_BOM)
    lines = _LINE_BREAK.split(text)
    if not lines[0].strip():
        raise BatchRejected(source, "empty file (no header line)", line=1)
    return (
        pl.DataFrame({"text": lines})
        .with_row_index("line", offset=1)
        .with_columns(pl.col("line").cast(pl.Int64))
        .filter((pl.col("line") == 1) | (pl.col("text").str.strip_chars() != ""))
    )


def _reject_first(source: str, lines: pl.DataFrame, bad: pl.Expr, message: pl.Expr) -> None:
    """Reject naming the first line where `bad` holds, with that line's `message`."""
    found = lines.filter(bad).head(1).select("line", message.alias("message"))
    if found.height:
        line, text = found.row(0)
        raise BatchRejected(source, text, line=line)


def _read_whitespace(path: Path, encoding: str | None) -> pl.DataFrame:
    """Fields separated by runs of spaces or tabs (a value cannot contain one), no quoting."""
    lines = _numbered_lines(path, encoding).with_columns(
        pl.col("text").str.extract_all(r"[^ \t]+").alias("fields")
    )
    names = _check_names(path.name, lines.get_column("fields")[0].to_list())
    body = lines.slice(1)
    count = pl.col("fields").list.len()
    _reject_first(
        path.name,
        body,
        count != len(names),
        pl.format(
            "expected {} fields, found {} (fields are separated by spaces or tabs; "
            "a value cannot contain one)",
            pl.lit(len(names)),
            count,
        ),
    )
    return _with_row_numbers(
        body.select(pl.col("fields").list.get(i).alias(name) for i, name in enumerate(names))
    )


def _read_fixed_width(path: Path, encoding: str | None, widths: tuple[int, ...]) -> pl.DataFrame:
    """Every line, header included, cut at `widths` (characters); values stripped.

    A line must hold every field but the last in full: exports and editors often trim the
    blanks that pad the last field, so a shorter last field is its value. Text beyond the
    widths is refused rather than dropped unseen.
    """
    source = path.name
    starts = [sum(widths[:i]) for i in range(len(widths))]
    cut = [
        pl.col("text").str.slice(start, width).str.strip_chars()
        for start, width in zip(starts, widths, strict=True)
    ]
    lines = _numbered_lines(path, encoding)
    header = lines.head(1).select(cut[i].alias(str(i)) for i in range(len(widths))).row(0)
    names = _check_names(source, list(header))
    body = lines.slice(1)
    needed, total = starts[-1], sum(widths)
    length = pl.col("text").str.len_chars()
    _reject_first(
        source,
        body,
        length < needed,
        pl.format(
            "line has {} characters; the widths need at least {} (a truncated line?)",
            length,
            pl.lit(needed),
        ),
    )
    _reject_first(
        source,
        body,
        pl.col("text").str.slice(total).str.strip_chars() != "",
        pl.lit(f"text beyond the declared widths ({total} characters)"),
    )
    values = [
        pl.when(value != "").then(value).alias(name) for value, name in zip(cut, names, strict=True)
    ]
    return _with_row_numbers(body.select(values))


# --- JSON lines, Parquet, XLSX ------------------------------------------------------------------


def _locate_bad_json(source: str, data: bytes) -> BatchRejected | None:
    for number, raw in enumerate(data.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            value = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            return BatchRejected(source, f"invalid JSON: {exc}", line=number)
        if not isinstance(value, dict):
            return BatchRejected(source, "each line must be a JSON object", line=number)
    return None


def _read_jsonl(path: Path) -> pl.DataFrame:
    source = path.name
    # One record per line, whatever the line ending: a JSON string cannot hold a raw CR.
    data = _raw_bytes(path).removeprefix(_BOM.encode())
    data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    if not data.strip():
        raise BatchRejected(source, "empty file")
    try:
        frame = pl.read_ndjson(data, infer_schema_length=None)
    except pl.exceptions.PolarsError as exc:
        bad = _locate_bad_json(source, data)
        if bad is not None:
            raise bad from exc
        frame = _jsonl_as_text(data)  # valid JSON whose types clash between lines
    return _with_row_numbers(frame)


def _jsonl_as_text(data: bytes) -> pl.DataFrame:
    """Every value as text (JSON-encoded when not a string): the loader casts per field."""
    records = [json.loads(raw) for raw in data.splitlines() if raw.strip()]
    columns = list(dict.fromkeys(key for record in records for key in record))
    as_text = [
        {
            key: v if v is None or isinstance(v, str) else json.dumps(v, ensure_ascii=False)
            for key, v in record.items()
        }
        for record in records
    ]
    return pl.DataFrame(as_text, schema=dict.fromkeys(columns, pl.String))


def _read_parquet(path: Path) -> pl.DataFrame:
    # Read by pyarrow, not `pl.read_parquet`: on a corrupt page header Polars can ask for an
    # absurd allocation and abort the whole process (no exception to catch), where Arrow
    # raises. Arrow does not check text while reading: the full validation rejects invalid
    # UTF-8, which would otherwise reach Polars and DuckDB. A value Polars cannot convert
    # may still make it panic (PanicException).
    try:
        with pq.ParquetFile(path, memory_map=True) as parquet:
            table = parquet.read()
        table.validate(full=True)
        frame = pl.from_arrow(table)
    except (
        pa.ArrowException,
        OSError,
        UnicodeDecodeError,
        pl.exceptions.PolarsError,
        pl.exceptions.PanicException,
    ) as exc:
        raise BatchRejected(path.name, f"cannot read as Parquet: {_first_line(exc)}") from exc
    assert isinstance(frame, pl.DataFrame)  # a table converts to a frame
    if ROW in frame.columns:
        raise BatchRejected(path.name, f"column name {ROW} is reserved", field=ROW)
    return _with_row_numbers(frame)


def _read_xlsx(path: Path, sheet: str | None) -> pl.DataFrame:
    source = path.name
    try:
        raw = pl.read_excel(
            path,
            engine="calamine",
            sheet_name=sheet,
            sheet_id=None if sheet else 1,
            has_header=False,  # the header is checked here: blank or repeated names reject
            infer_schema_length=0,  # every cell as text
            drop_empty_rows=False,  # keep row numbers equal to the sheet's
            drop_empty_cols=False,
            raise_if_empty=False,
        )
    except (Exception, pl.exceptions.PanicException) as exc:
        # fastexcel raises its own types for missing sheets and bad zips; Polars may panic.
        raise BatchRejected(source, f"cannot read as XLSX: {_first_line(exc)}") from exc
    if raw.height == 0:
        raise BatchRejected(source, "empty sheet (no header row)")
    header = [None if v is None else str(v).strip() for v in raw.row(0)]
    body = raw.slice(1)
    # Columns with neither a name nor any value are formatting left-overs, not data.
    keep = [
        i
        for i, name in enumerate(header)
        if name or body.get_column(body.columns[i]).is_not_null().any()
    ]
    names = _check_names(source, [header[i] or "" for i in keep])
    frame = _with_row_numbers(
        body.select(
            pl.col(body.columns[i]).cast(pl.String).alias(name)
            for i, name in zip(keep, names, strict=True)
        )
    )
    values = [c for c in frame.columns if c != ROW]
    blank_row = pl.all_horizontal(pl.col(values).is_null()) if values else pl.lit(False)
    return frame.filter(~blank_row)
