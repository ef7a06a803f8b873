"""Customers: where they live, how much they buy, when they arrive and when they churn."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from pipelines.ingest.simulate.calendar import Calendar
from pipelines.ingest.simulate.catalogue import ABROAD, INTERNATIONAL_SHARE, PROVINCES
from pipelines.ingest.simulate.convert import frame_of, ts

SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘")
GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红娥玲芬燕彬鹏浩宇欣怡子轩梓涵")
FIRST = [
    "Emily", "James", "Olivia", "Liam", "Sophia", "Noah", "Ava", "Lucas", "Mia", "Ethan",
    "Grace", "Daniel", "Chloe", "Ryan", "Hannah", "David", "Sarah", "Kevin", "Amy", "Jason",
]  # fmt: skip
LAST = [
    "Smith", "Johnson", "Brown", "Tan", "Lee", "Wong", "Müller", "Taylor", "Wilson", "Chen",
    "Lim", "Schmidt", "Evans", "Walker", "Nguyen", "Sato", "Clarke", "Martin", "Young", "Ng",
]  # fmt: skip
CN_MAIL = ["qq.com", "163.com", "126.com", "sina.com", "foxmail.com"]
EN_MAIL = ["gmail.com", "outlook.com", "yahoo.com", "icloud.com"]
GUEST_ID = "C0000000"
EXISTING_SHARE = 0.4  # accounts opened before the simulated span
CHURNER_SHARE = 0.55
MEAN_LIFETIME_DAYS = 240.0


@dataclass(frozen=True)
class Customers:
    """Row 0 is the guest account (walk-in store buyers); arrays are aligned with `ids`."""

    ids: np.ndarray  # str
    province: np.ndarray  # index into PROVINCES, -1 abroad
    abroad: np.ndarray  # index into ABROAD, -1 at home
    city: np.ndarray  # str
    first_day: np.ndarray  # first day index they may order
    last_day: np.ndarray  # last day before they churn (or the end)
    weight: np.ndarray  # how much they buy while active
    created_at: np.ndarray  # UTC seconds (NaN for the guest)
    details: pl.DataFrame  # name, email, phone columns, aligned


def _pick(rng: np.random.Generator, values: list[str], n: int) -> pl.Series:
    return pl.Series(values).gather(rng.integers(0, len(values), n))


def _digits(rng: np.random.Generator, n: int, width: int) -> pl.Series:
    return pl.Series(rng.integers(0, 10**width, n)).cast(pl.String).str.zfill(width)


def _details(rng: np.random.Generator, abroad: np.ndarray) -> pl.DataFrame:
    """Names, e-mails and phones: Chinese names at home (a few English ones), English abroad."""
    n = len(abroad)
    english = (abroad >= 0) | (rng.random(n) < 0.07)
    # Two-character given names are the commoner; one-character ones are frequent too.
    two = pl.Series(rng.random(n) < 0.65)
    cn_name = (
        _pick(rng, SURNAMES, n)
        + _pick(rng, GIVEN, n)
        + _pick(rng, GIVEN, n).zip_with(two, pl.Series([""] * n))
    )
    first, last = _pick(rng, FIRST, n), _pick(rng, LAST, n)
    en_name = first + " " + last
    # Chinese mobile numbers: +86 1[3-9]x xxxx xxxx.
    prefix = pl.Series([a[3] for a in ABROAD] + ["+86 1"]).gather(np.where(abroad >= 0, abroad, -1))
    frame = frame_of(
        {
            "english": english,
            "cn_name": cn_name,
            "en_name": en_name,
            "en_local": (first + "." + last).str.to_lowercase().str.replace("ü", "ue"),
            "num": _digits(rng, n, 9).str.replace("^0", "1"),
            "cn_domain": _pick(rng, CN_MAIL, n),
            "en_domain": _pick(rng, EN_MAIL, n),
            "prefix": prefix,
            "p1": pl.Series(rng.integers(30, 100, n)).cast(pl.String),
            "p2": _digits(rng, n, 4),
            "p3": _digits(rng, n, 4),
            "no_email": rng.random(n) < 0.08,
            "no_phone": rng.random(n) < 0.04,
        }
    )
    return frame.select(
        pl.when(pl.col("english"))
        .then(pl.col("en_name"))
        .otherwise(pl.col("cn_name"))
        .alias("customer_name"),
        pl.when(pl.col("no_email"))
        .then(None)
        .when(pl.col("english"))
        .then(pl.concat_str("en_local", pl.col("p1"), pl.lit("@"), "en_domain"))
        .otherwise(pl.concat_str("num", pl.lit("@"), "cn_domain"))
        .alias("email"),
        pl.when(pl.col("no_phone"))
        .then(None)
        .otherwise(pl.concat_str("prefix", "p1", pl.lit(" "), "p2", pl.lit(" "), "p3"))
        .alias("phone"),
    )


def make_customers(rng: np.random.Generator, cal: Calendar, orders: int) -> Customers:
    n = max(50, orders // 3)
    weights = np.array([p[3] for p in PROVINCES])
    abroad_w = np.array([a[4] for a in ABROAD])
    is_abroad = rng.random(n) < INTERNATIONAL_SHARE
    province = np.where(is_abroad, -1, rng.choice(len(PROVINCES), n, p=weights / weights.sum()))
    abroad = np.where(is_abroad, rng.choice(len(ABROAD), n, p=abroad_w / abroad_w.sum()), -1)
    city = np.empty(n, dtype=object)
    for i, (_, cities, _, _) in enumerate(PROVINCES):
        here = np.flatnonzero(province == i)
        city[here] = np.array(cities, dtype=object)[rng.integers(0, len(cities), len(here))]
    for i, a in enumerate(ABROAD):
        city[abroad == i] = a[2]
    # New accounts arrive with the business volume (more around big campaigns).
    span = cal.planned[: cal.days]
    cdf = np.cumsum(span) / span.sum()
    existing = rng.random(n) < EXISTING_SHARE
    created_day = np.where(
        existing,
        -rng.integers(1, 900, n),
        np.minimum(np.searchsorted(cdf, rng.random(n)), cal.days - 1),
    )
    lifetime = np.where(
        rng.random(n) < CHURNER_SHARE, rng.exponential(MEAN_LIFETIME_DAYS, n), np.inf
    )
    last_day = np.minimum(created_day + lifetime, cal.days - 1).astype(np.int64)
    keep = last_day >= 0  # accounts that churned before the span are out of the export
    created_at = cal.day_start(created_day) + rng.uniform(8, 23, n) * 3600
    ids = np.array([f"C{i:07d}" for i in range(1, int(keep.sum()) + 1)], dtype=object)
    details = _details(rng, abroad[keep])
    guest = frame_of(
        {"customer_name": ["散客 Walk-in customer"], "email": [None], "phone": [None]},
        schema=details.schema,
    )
    return Customers(
        ids=np.concatenate([[GUEST_ID], ids]),
        province=np.concatenate([[-1], province[keep]]),
        abroad=np.concatenate([[-1], abroad[keep]]),
        city=np.concatenate([[None], city[keep]]),
        first_day=np.concatenate([[0], np.maximum(created_day[keep], 0)]),
        last_day=np.concatenate([[-1], last_day[keep]]),
        weight=np.concatenate([[0.0], rng.lognormal(0.0, 0.9, int(keep.sum()))]),
        created_at=np.concatenate([[np.nan], np.floor(created_at[keep])]),
        details=pl.concat([guest, details]),
    )


def customers_frame(
    rng: np.random.Generator, c: Customers, first_order_at: np.ndarray
) -> pl.DataFrame:
    """The customers table; an account is never opened after its first order."""
    lead = 60 * rng.integers(1, 600, len(c.ids))  # signed up minutes to hours before buying
    created = np.fmin(c.created_at, first_order_at - lead)
    region = np.array([p[0] for p in PROVINCES] + [None], dtype=object)[c.province]
    region[c.abroad >= 0] = np.array([a[1] for a in ABROAD], dtype=object)[c.abroad[c.abroad >= 0]]
    country = np.where(c.abroad >= 0, "", "China").astype(object)
    country[c.abroad >= 0] = np.array([a[0] for a in ABROAD], dtype=object)[c.abroad[c.abroad >= 0]]
    country[0] = None
    return frame_of(
        {
            "customer_id": c.ids,
            "customer_name": c.details["customer_name"],
            "email": c.details["email"],
            "phone": c.details["phone"],
            "region": region,
            "city": c.city,
            "country": country,
            "created_at": ts(created),
            "is_guest": np.arange(len(c.ids)) == 0,
        },
        schema_overrides={"region": pl.String, "city": pl.String, "country": pl.String},
    )
