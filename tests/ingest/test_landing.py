"""The landing folder: what is ready to load, with which mapping, and where it goes after."""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import replace
from pathlib import Path

import dagster as dg

from pipelines.assets.ingest import build_landing_sensor
from pipelines.ingest.landing import BUILTIN_MAPPINGS, file_away, landed_batches, mapping_for
from pipelines.resources import SettingsResource
from pipelines.settings import Settings

MAPPINGS = Path(__file__).parent / "mappings"
EXPORT_PARTS = ["orders", "order_items", "payments", "customers", "products"]


def _touch(path: Path, age_s: float = 60.0, text: str = "a,b\n1,2\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    then = time.time() - age_s
    os.utime(path, (then, then))
    return path


def test_a_landed_file_loads_only_once_it_has_stopped_changing(settings: Settings) -> None:
    old = _touch(settings.landing_dir / "orders.csv", age_s=60)
    fresh = _touch(settings.landing_dir / "customers.csv", age_s=0)

    assert landed_batches(settings, now=time.time(), settle_s=30) == []
    os.utime(fresh, (time.time() - 60, time.time() - 60))
    (ready,) = landed_batches(settings, now=time.time(), settle_s=30)
    # One drop, parents before children.
    assert ready.paths == (fresh, old) and ready.mapping is None


def test_a_mapping_folder_loads_with_the_users_mapping_before_a_built_in_one(
    settings: Settings,
) -> None:
    user = replace(settings, mappings_dir=settings.data_dir / "my_mappings")
    assert mapping_for("online_retail", user) == BUILTIN_MAPPINGS / "online_retail.yaml"
    assert mapping_for("till_log", user) is None
    mine = user.user_mappings_dir / "online_retail.yaml"
    mine.parent.mkdir(parents=True)
    shutil.copy(BUILTIN_MAPPINGS / "online_retail.yaml", mine)
    assert mapping_for("online_retail", user) == mine


def test_an_export_waits_until_a_file_of_every_part_of_its_mapping_has_landed(
    settings: Settings,
) -> None:
    shutil.copytree(MAPPINGS, settings.user_mappings_dir)
    folder = settings.landing_dir / "marketplace"
    for part in EXPORT_PARTS[:-1]:
        _touch(folder / f"shop_{part}.csv")
    _touch(settings.landing_dir / "unknown_export" / "a.csv")  # named for no mapping

    assert landed_batches(settings, now=time.time(), settle_s=1) == []
    products = _touch(folder / "shop_products.csv")
    (ready,) = landed_batches(settings, now=time.time(), settle_s=1)
    assert ready.mapping == settings.user_mappings_dir / "marketplace.yaml"
    assert products in ready.paths and len(ready.paths) == len(EXPORT_PARTS)


def test_loaded_files_move_beside_themselves_and_files_from_elsewhere_stay(
    settings: Settings, tmp_path: Path
) -> None:
    plain = _touch(settings.landing_dir / "orders.csv")
    mapped = _touch(settings.landing_dir / "shop" / "till.csv")
    outside = _touch(tmp_path / "elsewhere" / "orders.csv")

    assert file_away(plain, False, settings.landing_dir) == (
        settings.landing_dir / "processed" / "orders.csv"
    )
    assert file_away(mapped, True, settings.landing_dir) == (
        settings.landing_dir / "shop" / "rejected" / "till.csv"
    )
    assert file_away(outside, False, settings.landing_dir) is None and outside.exists()
    # Processed files are not landed again.
    assert landed_batches(settings, now=time.time(), settle_s=0) == []


def test_the_sensor_asks_for_one_build_per_drop_and_for_the_same_drop_once(
    settings: Settings,
) -> None:
    _touch(settings.landing_dir / "orders.csv")
    _touch(settings.landing_dir / "order_lines.csv")
    job = dg.define_asset_job("build_everything")
    sensor = build_landing_sensor(job, interval_s=5)
    assert sensor.minimum_interval_seconds == 5

    with dg.instance_for_test() as instance:
        resources = {"settings": SettingsResource.from_settings(settings)}
        context = dg.build_sensor_context(instance=instance, resources=resources)
        (request,) = list(sensor(context))
        again = list(sensor(context))
    config = request.run_config["ops"]["raw_tables"]["config"]
    assert [Path(p).name for p in config["paths"]] == ["orders.csv", "order_lines.csv"]
    assert config.get("mapping") is None
    assert again == []  # asked for once, while its run has not moved it yet
