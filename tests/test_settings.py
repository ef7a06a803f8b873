"""One settings object: read from the environment at the edge only, documented from itself."""

from __future__ import annotations

import dataclasses
import re
import subprocess
from pathlib import Path

import dagster as dg
import pytest
from click.testing import CliRunner

from pipelines.cli import main
from pipelines.resources import SMTP_PASSWORD, SettingsResource
from pipelines.settings import (
    Settings,
    SettingsError,
    SmtpSettings,
    child_environment,
    from_variables,
    get_settings,
    settings_table,
)

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
BLOCK = re.compile(r"<!-- settings:start -->\n(.*?)<!-- settings:end -->", re.DOTALL)


def test_nothing_below_the_edge_reads_or_writes_the_environment() -> None:
    allowed = ROOT / "pipelines" / "settings.py"
    readers = [
        str(path.relative_to(ROOT))
        for folder in ("pipelines", "dashboards")
        for path in sorted((ROOT / folder).rglob("*.py"))
        if path != allowed and re.search(r"os\.environ|getenv", path.read_text(encoding="utf-8"))
    ]
    assert readers == []


def test_the_readme_table_is_the_one_rendered_from_the_settings() -> None:
    [block] = BLOCK.findall(README.read_text(encoding="utf-8"))
    assert block == settings_table()


def test_every_field_is_a_documented_setting_with_one_row() -> None:
    documented = [
        f.metadata["setting"].variable
        for cls in (Settings, SmtpSettings)
        for f in dataclasses.fields(cls)
        if f.name != "smtp"  # the nested group
    ]
    rows = [row.split(" | ") for row in settings_table().splitlines()[2:]]
    assert [row[0].strip("| `") for row in rows] == documented
    assert len(set(documented)) == len(documented) == 23
    assert all(row[1].strip("`") and row[2].strip(" |") for row in rows)


def test_the_environment_gives_every_setting_including_the_report_group(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in {
        "DATA_DIR": str(tmp_path / "data"),
        "LOCK_TIMEOUT": "12.5",
        "BUSINESS_TIMEZONE": "Asia/Shanghai",
        "REPORTS_OUTBOX": str(tmp_path / "share"),
        "SMTP_SECURITY": "TLS",
        "SMTP_USER": "mailer",
        "SMTP_PASSWORD": "s3cret",
        "SMTP_ATTEMPTS": "2",
    }.items():
        monkeypatch.setenv(f"ORDERLENS_{name}", value)
    settings = get_settings()
    assert settings.data_dir == tmp_path / "data" and settings.lock_timeout_s == 12.5
    assert settings.business_timezone == "Asia/Shanghai" and settings.source_timezone == "UTC"
    assert settings.outbox_dir == tmp_path / "share"
    assert (settings.smtp.security, settings.smtp.port) == ("tls", 465)
    assert (settings.smtp.user, settings.smtp.password, settings.smtp.attempts) == (
        "mailer",
        "s3cret",
        2,
    )


def test_defaults_need_no_environment_and_the_outbox_follows_the_data_dir(
    tmp_path: Path,
) -> None:
    settings = Settings(data_dir=tmp_path)
    assert settings.outbox_dir == tmp_path / "reports" / "outbox"
    assert (settings.smtp.host, settings.smtp.port, settings.smtp.password) == (
        "localhost",
        587,
        None,
    )
    assert from_variables({}).data_dir == Path("data").resolve()


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("LOCK_TIMEOUT", "soon", "ORDERLENS_LOCK_TIMEOUT='soon' is not a number"),
        ("SMTP_PORT", "25.5", "ORDERLENS_SMTP_PORT='25.5' is not a whole number"),
        ("SMTP_SECURITY", "ssl", "ORDERLENS_SMTP_SECURITY is 'ssl'; allowed: none, starttls"),
        ("SOURCE_TIMEZONE", "Mars/Olympus", "ORDERLENS_SOURCE_TIMEZONE='Mars/Olympus' is not"),
        ("SIMULATION_WEEKS", "0", "ORDERLENS_SIMULATION_WEEKS=0 must be at least 1 week"),
        ("ENGINE", "snowflake", "ORDERLENS_ENGINE is 'snowflake': OrderLens builds on duckdb or"),
        ("SPARK_MASTER", "cluster7", "ORDERLENS_SPARK_MASTER='cluster7' is not a Spark master"),
        ("LAKE_URI", "s3a://bucket/lake", "ORDERLENS_LAKE_URI='s3a://bucket/lake': the lake is"),
    ],
)
def test_a_bad_value_is_refused_naming_its_variable(
    name: str, value: str, message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(f"ORDERLENS_{name}", value)
    with pytest.raises(SettingsError, match=re.escape(message)):
        get_settings()


def test_a_child_process_gets_exactly_these_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ORDERLENS_DATA_DIR", str(tmp_path / "elsewhere"))
    monkeypatch.setenv("ORDERLENS_SMTP_USER", "someone-else")
    settings = Settings(
        data_dir=tmp_path / "given",
        business_timezone="Europe/Berlin",
        smtp=SmtpSettings(host="mail.test", password="pw"),
    )
    env = child_environment(settings)
    assert from_variables(env) == settings
    assert env["ORDERLENS_DATA_DIR"] == str(tmp_path / "given")
    assert env["ORDERLENS_WAREHOUSE"] == str(settings.warehouse_path)  # dbt's profile
    assert "ORDERLENS_SMTP_USER" not in env
    assert env["PATH"]  # the rest of the environment is kept


def test_the_smtp_password_shows_in_no_repr_and_no_dagster_config(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(SMTP_PASSWORD, "s3cret-pa55")
    settings = get_settings()
    assert settings.smtp.password == "s3cret-pa55"
    assert "s3cret-pa55" not in repr(settings) and "s3cret-pa55" not in str(settings.smtp)
    resource = SettingsResource.from_settings(settings)
    assert "s3cret-pa55" not in repr(resource) and SMTP_PASSWORD not in resource.variables
    assert isinstance(resource.smtp_password, dg.EnvVar)


def test_the_dagster_resource_hands_the_assets_the_settings_it_was_built_from(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ORDERLENS_DATA_DIR", str(tmp_path / "elsewhere"))
    given = Settings(data_dir=tmp_path / "given", lock_timeout_s=5, reports_outbox=tmp_path)
    seen: list[Settings] = []

    @dg.asset
    def probe(settings: SettingsResource) -> None:
        seen.append(settings.get())

    resources = {"settings": SettingsResource.from_settings(given)}
    assert dg.materialize([probe], resources=resources).success
    assert seen == [given]


@pytest.mark.parametrize(("command", "program"), [("dashboard", "streamlit"), ("dev", "dagster")])
def test_the_servers_the_cli_starts_get_the_settings_it_read(
    command: str, program: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[tuple[list[str], dict[str, str]]] = []

    def call(args: list[str], env: dict[str, str], cwd: Path) -> int:
        started.append((args, env))
        return 0

    monkeypatch.setattr(subprocess, "call", call)
    monkeypatch.setenv("ORDERLENS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ORDERLENS_BUSINESS_TIMEZONE", "Asia/Shanghai")
    result = CliRunner().invoke(main, [command, "--port", "4321"])
    assert result.exit_code == 0, result.output
    [(args, env)] = started
    assert program in " ".join(args) and "4321" in args
    assert from_variables(env) == get_settings()
    assert env["ORDERLENS_WAREHOUSE"] == str(tmp_path / "data" / "warehouse.duckdb")
