"""The one typed settings object: every path, knob and secret, from `ORDERLENS_*` variables.

`get_settings()` reads the environment; only the edges call it (the CLI, the Dagster
`Definitions`, the dashboard app's entry) and hand the `Settings` down. This module is also
the only one that reads or writes an environment: `child_environment` builds the one of a
child process (dbt, `dagster dev`, Streamlit). Each setting carries its variable, default
and description (field metadata), from which `settings_table` renders the README's table.
Secrets (the SMTP password) come only from the environment and never show in a repr.
"""

from __future__ import annotations

import os
import zoneinfo
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal

PREFIX = "ORDERLENS_"

Security = Literal["none", "starttls", "tls"]
SECURITY_MODES: tuple[Security, ...] = ("none", "starttls", "tls")
SMTP_PORTS: dict[str, int] = {"none": 25, "starttls": 587, "tls": 465}
RETRY_DELAY_CAP_S = 24 * 3600.0  # a pending report is tried at least daily


class SettingsError(ValueError):
    """A setting whose value cannot be used; the message names the variable."""


Parse = Callable[[str, str], Any]  # (variable, text) -> value, or SettingsError naming it


def _text(variable: str, text: str) -> str:
    return text


def _path(variable: str, text: str) -> Path:
    return Path(text).expanduser().resolve()


def _number(kind: type[float] | type[int]) -> Parse:
    def parse(variable: str, text: str) -> float | int:
        try:
            return kind(text)
        except ValueError as exc:
            what = "a whole number" if kind is int else "a number"
            raise SettingsError(f"{variable}={text!r} is not {what}") from exc

    return parse


def _zone(variable: str, text: str) -> str:
    try:
        zoneinfo.ZoneInfo(text)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise SettingsError(
            f"{variable}={text!r} is not a time zone; use an IANA name such as "
            "UTC, Asia/Shanghai or America/New_York"
        ) from exc
    return text


ENGINES: tuple[str, ...] = ("duckdb", "spark")


def _engine(variable: str, text: str) -> str:
    if text.lower() not in ENGINES:
        raise SettingsError(f"{variable} is {text!r}: OrderLens builds on {' or '.join(ENGINES)}")
    return text.lower()


def _lake(variable: str, text: str) -> Path:
    """A lake folder: a path, or a file:// URI (Spark and DuckDB both read it as a folder)."""
    if text.startswith("file://"):
        text = text.removeprefix("file://")
    elif "://" in text:
        raise SettingsError(
            f"{variable}={text!r}: the lake is a folder every Spark node sees (a local path, "
            "a file:// URI or a shared mount); object stores are described in docs/scale-out.md"
        )
    return Path(text).expanduser().resolve()


def _master(variable: str, text: str) -> str:
    if not (text.startswith(("local", "spark://", "yarn", "k8s://"))):
        raise SettingsError(
            f"{variable}={text!r} is not a Spark master: use local[N], spark://host:port, "
            "yarn or k8s://..."
        )
    return text


def _security(variable: str, text: str) -> str:
    if text.lower() not in SECURITY_MODES:
        raise SettingsError(f"{variable} is {text!r}; allowed: {', '.join(SECURITY_MODES)}")
    return text.lower()


@dataclass(frozen=True)
class Setting:
    """What the README says about one setting, and how its variable's text is read."""

    variable: str  # the full name, ORDERLENS_...
    description: str
    parse: Parse
    shown: str | None = None  # the default as the README shows it, when not the value itself
    secret: bool = False


def setting(
    default: Any,
    name: str,
    description: str,
    parse: Parse = _text,
    shown: str | None = None,
    secret: bool = False,
) -> Any:
    """A dataclass field read from `ORDERLENS_<name>` (empty counts as unset)."""
    meta = Setting(PREFIX + name, description, parse, shown, secret)
    return field(default=default, repr=not secret, metadata={"setting": meta})


@dataclass(frozen=True)
class SmtpSettings:
    host: str = setting("localhost", "SMTP_HOST", "mail server of the report e-mails")
    # None: the port of the security mode (25, 587 or 465).
    port: int | None = setting(
        None,
        "SMTP_PORT",
        "mail server port (the default follows the security mode)",
        _number(int),
        shown="25/587/465",
    )
    user: str | None = setting(None, "SMTP_USER", "login at the mail server (none: no login)")
    password: str | None = setting(
        None,
        "SMTP_PASSWORD",
        "password of that login (a secret: never logged or archived)",
        secret=True,
    )
    sender: str = setting("orderlens@localhost", "SMTP_FROM", "From address of the e-mails")
    security: Security = setting(
        "starttls", "SMTP_SECURITY", "`none`, `starttls` or `tls`", _security
    )
    timeout_s: float = setting(20.0, "SMTP_TIMEOUT", "seconds per SMTP connection", _number(float))
    attempts: int = setting(4, "SMTP_ATTEMPTS", "tries of one e-mail in a run", _number(int))
    backoff_s: float = setting(
        30.0, "SMTP_BACKOFF", "seconds before the 2nd try, doubling after", _number(float)
    )
    # Later runs retry a failed delivery: not before retry_backoff_s * 2**(rounds - 1) after
    # the last attempt (capped at a day), and at most `retry_rounds` rounds in all.
    retry_backoff_s: float = setting(
        900.0,
        "SMTP_RETRY_BACKOFF",
        "seconds before a later run retries a failed e-mail, doubling per round",
        _number(float),
    )
    retry_rounds: int = setting(
        10, "SMTP_RETRY_ROUNDS", "later runs that retry it before giving up", _number(int)
    )

    def __post_init__(self) -> None:
        if self.port is None:
            object.__setattr__(self, "port", SMTP_PORTS[self.security])

    def delays(self) -> list[float]:
        """Waits between attempts: exponential back-off (b, 2b, 4b, ...)."""
        return [self.backoff_s * 2**i for i in range(max(self.attempts - 1, 0))]

    def retry_delay(self, rounds: int) -> float:
        """Wait after `rounds` failed delivery rounds before a later run tries again."""
        return min(self.retry_backoff_s * 2 ** max(rounds - 1, 0), RETRY_DELAY_CAP_S)


@dataclass(frozen=True)
class Settings:
    data_dir: Path = setting(Path("data"), "DATA_DIR", "the data directory", _path, "./data")
    lock_timeout_s: float = setting(
        600.0,
        "LOCK_TIMEOUT",
        "seconds a second writer waits for the warehouse before failing",
        _number(float),
    )
    source_timezone: str = setting(
        "UTC", "SOURCE_TIMEZONE", "time zone of timestamps that carry no offset", _zone
    )
    # The business's own calendar: every date a mart groups or compares by (the sales day,
    # week and month, on-time against the promised date, cohorts, stock days) is a local date
    # of this zone. Timestamps stay UTC in the warehouse.
    business_timezone: str = setting(
        "UTC",
        "BUSINESS_TIMEZONE",
        "the business's calendar: marts date by this zone's local day (timestamps stay UTC); "
        "a change rebuilds everything",
        _zone,
    )
    # File-drop delivery: a folder a team without e-mail watches (a share, a synced dir).
    reports_outbox: Path | None = setting(
        None,
        "REPORTS_OUTBOX",
        "folder the file-drop delivery copies report snapshots into",
        _path,
        "<data dir>/reports/outbox",
    )
    # The landing sensor: how often it looks into data/landing/, and how long a file must stay
    # unchanged (size and time) before it loads, so a file still being copied is left alone.
    landing_interval_s: int = setting(
        30,
        "LANDING_INTERVAL",
        "seconds between two looks of the landing sensor into `data/landing/`",
        _number(int),
    )
    landing_settle_s: float = setting(
        5.0,
        "LANDING_SETTLE",
        "seconds a landed file must stay unchanged before the sensor loads it",
        _number(float),
    )
    # data/landing/<name>/ loads with the mapping <name>.yaml: from here first, then built in.
    mappings_dir: Path | None = setting(
        None,
        "MAPPINGS_DIR",
        "your mappings folder: files in `data/landing/<name>/` load with its `<name>.yaml` "
        "(or a built-in mapping of that name)",
        _path,
        "<data dir>/mappings",
    )
    # The replenishment policy replayed on history (with every model refit): a half year
    # spans a season's swings and several refits of the forecast.
    simulation_weeks: int = setting(
        26,
        "SIMULATION_WEEKS",
        "weeks of history the policy simulation replays day by day at each model refit",
        _number(int),
    )
    # The scale-out engine (docs/scale-out.md): the same dbt project, another dbt target.
    engine: str = setting(
        "duckdb",
        "ENGINE",
        "`duckdb` or `spark`: the engine `orderlens build` builds the dbt project on",
        _engine,
    )
    lake_uri: Path | None = setting(
        None,
        "LAKE_URI",
        "folder (or file:// URI) of the Parquet lake a Spark build reads and writes",
        _lake,
        "<data dir>/lake",
    )
    spark_master: str = setting(
        "local[2]",
        "SPARK_MASTER",
        "the Spark cluster a Spark build runs on: `local[N]` or `spark://host:port`",
        _master,
    )
    smtp: SmtpSettings = field(default_factory=SmtpSettings)

    def __post_init__(self) -> None:
        if self.simulation_weeks < 1:
            raise SettingsError(
                f"{PREFIX}SIMULATION_WEEKS={self.simulation_weeks} must be at least 1 week"
            )
        # Absolute from here on: a child process may run in another working directory.
        object.__setattr__(self, "data_dir", Path(self.data_dir).expanduser().resolve())
        if self.engine not in ENGINES:
            raise SettingsError(f"engine {self.engine!r}: OrderLens builds on duckdb or spark")

    @property
    def warehouse_path(self) -> Path:
        """The only file anything writes (one writer at a time)."""
        return self.data_dir / "warehouse.duckdb"

    @property
    def lock_path(self) -> Path:
        return self.data_dir / "warehouse.lock"

    @property
    def serving_dir(self) -> Path:
        return self.data_dir / "serving"

    @property
    def landing_dir(self) -> Path:
        return self.data_dir / "landing"

    @property
    def reports_dir(self) -> Path:
        """The report archive."""
        return self.data_dir / "reports"

    @property
    def outbox_dir(self) -> Path:
        return self.reports_outbox or self.reports_dir / "outbox"

    @property
    def simulated_dir(self) -> Path:
        return self.data_dir / "simulated"

    @property
    def user_mappings_dir(self) -> Path:
        return self.mappings_dir or self.data_dir / "mappings"

    @property
    def logs_dir(self) -> Path:
        return self.data_dir / "logs"

    @property
    def dagster_home(self) -> Path:
        """`orderlens serve`'s Dagster instance: run history, schedule and sensor state."""
        return self.data_dir / "dagster"

    @property
    def lake_dir(self) -> Path:
        """The Parquet lake of Spark builds: raw exports, Spark's tables and its metastore."""
        return self.lake_uri or self.data_dir / "lake"

    @property
    def spark_dir(self) -> Path:
        """The local standalone cluster's logs and pids (`orderlens spark start`)."""
        return self.data_dir / "spark"


def _settings(cls: type = Settings) -> Iterator[tuple[Setting, Any]]:
    """Every setting of a class, nested groups included, with its default."""
    for f in fields(cls):
        meta: Setting | None = f.metadata.get("setting")
        if meta is None:  # a nested group (SMTP)
            yield from _settings(f.default_factory)  # type: ignore[arg-type]
        else:
            yield meta, f.default


def from_variables(variables: Mapping[str, str], cls: type = Settings) -> Any:
    """Settings from `ORDERLENS_*` variables (an environment, or a Dagster resource's copy)."""
    values: dict[str, Any] = {}
    for f in fields(cls):
        meta: Setting | None = f.metadata.get("setting")
        if meta is None:  # a nested group (SMTP)
            values[f.name] = from_variables(variables, f.default_factory)  # type: ignore[arg-type]
            continue
        text = variables.get(meta.variable, "").strip()
        if text:
            values[f.name] = meta.parse(meta.variable, text)
    return cls(**values)


def get_settings() -> Settings:
    """Read the settings from the environment now: only at an edge, which hands them down."""
    return from_variables(os.environ)


def _rendered(value: Any) -> str:
    return format(value, "g") if isinstance(value, float) else str(value)


def variables(settings: Any, secrets: bool = True) -> dict[str, str]:
    """The `ORDERLENS_*` variables that give these settings (None: left out)."""
    out: dict[str, str] = {}
    for f in fields(settings):
        value = getattr(settings, f.name)
        meta: Setting | None = f.metadata.get("setting")
        if meta is None:
            out.update(variables(value, secrets))
        elif value is not None and (secrets or not meta.secret):
            out[meta.variable] = _rendered(value)
    return out


def child_environment(settings: Settings) -> dict[str, str]:
    """The environment of a child process (dbt, `dagster dev`, Streamlit) with these settings.

    Besides the settings, `ORDERLENS_WAREHOUSE` names the warehouse for dbt's profile.
    """
    warehouse = PREFIX + "WAREHOUSE"
    own = {meta.variable for meta, _ in _settings()} | {warehouse}
    return {
        **{name: value for name, value in os.environ.items() if name not in own},
        **variables(settings),
        warehouse: str(settings.warehouse_path),
    }


def settings_table() -> str:
    """The README's settings table: one row per variable, its default and what it does."""
    rows = ["| variable | default | what it does |", "|---|---|---|"]
    for meta, default in _settings():
        shown = meta.shown or ("none" if default is None else _rendered(default))
        rows.append(f"| `{meta.variable}` | `{shown}` | {meta.description} |")
    return "\n".join(rows) + "\n"
