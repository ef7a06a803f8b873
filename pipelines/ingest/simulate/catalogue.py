"""The fixed world of the simulated retailer: regions, warehouses, carriers, suppliers, products.

Everything here is small (tens to a few thousand rows), so plain Python over SKUs is fine;
the per-order and per-line work lives in the other modules.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np
import polars as pl

CURRENCY = "CNY"
LOCAL_OFFSET_S = 8 * 3600  # China Standard Time (UTC+8, no daylight saving)
DAY_S = 86_400


def rng_for(seed: int, stream: str) -> np.random.Generator:
    """An independent random stream per part of the simulation, stable across versions."""
    return np.random.default_rng([seed, zlib.crc32(stream.encode())])


# --- warehouses and the regions they serve -------------------------------------------------
# (warehouse_id, name, region, city, pick hours per order at normal load, pack hours)
# Chengdu is the bottleneck: slow picking and packing that degrades fast under load.
WAREHOUSES = [
    ("WH-SH", "华东仓 Shanghai DC", "华东", "上海", 2.0, 0.4),
    ("WH-GZ", "华南仓 Guangzhou DC", "华南", "广州", 2.5, 0.5),
    ("WH-BJ", "华北仓 Beijing DC", "华北", "北京", 3.0, 0.5),
    ("WH-CD", "西南仓 Chengdu DC", "西南", "成都", 9.0, 2.0),
]
SLOW_WAREHOUSE = "WH-CD"
# Daily order capacity relative to the warehouse's median load: below 1.5 queues build up.
CAPACITY_RATIO = np.array([2.5, 2.5, 2.2, 1.3])
# Extra transit days between warehouse regions (rows: warehouse, cols: ship-to region).
ZONE_DAYS = np.array(
    [
        [0.0, 1.0, 1.0, 2.0],
        [1.0, 0.0, 2.0, 1.5],
        [1.0, 2.0, 0.0, 2.0],
        [2.0, 1.5, 2.0, 0.0],
    ]
)
# Fallback order when the home warehouse is out of stock: nearest first.
FALLBACK = np.argsort(ZONE_DAYS + np.eye(4) * -1, axis=1, kind="stable")

# (province, [cities], warehouse index, population weight)
PROVINCES = [
    ("上海", ["上海"], 0, 6.0),
    ("江苏", ["南京", "苏州", "无锡"], 0, 8.0),
    ("浙江", ["杭州", "宁波", "温州"], 0, 7.0),
    ("安徽", ["合肥", "芜湖"], 0, 3.0),
    ("山东", ["济南", "青岛"], 0, 5.0),
    ("福建", ["福州", "厦门"], 1, 3.0),
    ("湖北", ["武汉", "宜昌"], 0, 3.0),
    ("广东", ["广州", "深圳", "东莞", "佛山"], 1, 12.0),
    ("广西", ["南宁", "桂林"], 1, 2.0),
    ("海南", ["海口", "三亚"], 1, 1.0),
    ("湖南", ["长沙"], 1, 2.5),
    ("北京", ["北京"], 2, 6.0),
    ("天津", ["天津"], 2, 2.5),
    ("河北", ["石家庄", "保定"], 2, 3.0),
    ("河南", ["郑州", "洛阳"], 2, 3.5),
    ("辽宁", ["沈阳", "大连"], 2, 2.5),
    ("四川", ["成都", "绵阳"], 3, 5.0),
    ("重庆", ["重庆"], 3, 3.0),
    ("云南", ["昆明"], 3, 1.5),
    ("贵州", ["贵阳"], 3, 1.0),
    ("陕西", ["西安"], 3, 2.0),
]
# (country, state/region, city, phone prefix, weight); shipped by DHL from Shanghai.
ABROAD = [
    ("United States", "California", "Los Angeles", "+1 213", 3.0),
    ("United States", "New York", "New York", "+1 212", 2.0),
    ("Singapore", "Singapore", "Singapore", "+65 8", 2.0),
    ("Malaysia", "Kuala Lumpur", "Kuala Lumpur", "+60 12", 1.0),
    ("Germany", "Berlin", "Berlin", "+49 30", 1.0),
    ("United Kingdom", "England", "London", "+44 20", 1.0),
    ("Australia", "New South Wales", "Sydney", "+61 2", 1.0),
    ("Japan", "Tokyo", "Tokyo", "+81 3", 1.0),
]
INTERNATIONAL_SHARE = 0.05
EXPORT_WAREHOUSE = 0

# --- carriers ------------------------------------------------------------------------------
# (name, mean transit days within a region, share of parcels with an extra delay)
CARRIERS = [
    ("顺丰 SF Express", 1.0, 0.03),
    ("京东物流 JD Logistics", 1.1, 0.03),
    ("中通 ZTO", 1.4, 0.05),
    ("圆通 YTO", 1.8, 0.25),  # the notoriously late one
    ("EMS", 1.9, 0.06),
    ("DHL", 6.0, 0.08),  # international only
]
LATE_CARRIER = "圆通 YTO"
DOMESTIC_CARRIERS = 5
INTERNATIONAL_CARRIER = 5
TRACKING_PREFIX = ["SF", "JD", "ZT", "YT", "EM", "DH"]

# --- channels ------------------------------------------------------------------------------
CHANNELS = ["web", "app", "phone", "email", "store", "marketplace"]
# Weekday (Mon..Sun) x channel shares: stores and the app lean to weekends, phone/e-mail
# (mostly business buyers) to weekdays.
CHANNEL_BY_WEEKDAY = np.array(
    [
        [0.31, 0.25, 0.08, 0.06, 0.09, 0.21],
        [0.31, 0.25, 0.08, 0.06, 0.09, 0.21],
        [0.31, 0.25, 0.08, 0.06, 0.09, 0.21],
        [0.31, 0.25, 0.08, 0.06, 0.09, 0.21],
        [0.30, 0.27, 0.07, 0.05, 0.10, 0.21],
        [0.26, 0.31, 0.02, 0.01, 0.18, 0.22],
        [0.26, 0.32, 0.02, 0.01, 0.17, 0.22],
    ]
)
INTERNATIONAL_CHANNELS = np.array([0.55, 0.0, 0.0, 0.10, 0.0, 0.35])
EXTRA_LINES = np.array([1.5, 1.3, 2.6, 3.2, 0.9, 1.2])  # Poisson mean of lines beyond the first
EXTRA_UNITS = np.array([0.35, 0.3, 2.5, 4.0, 0.3, 0.3])  # Poisson mean of units beyond one
PROMISE_DAYS = np.array([3, 3, 5, 5, 3, 4])
INTERNATIONAL_PROMISE_DAYS = 14
# Carrier shares per channel (domestic carriers only).
CARRIER_BY_CHANNEL = np.array(
    [
        [0.30, 0.25, 0.20, 0.15, 0.10],
        [0.30, 0.30, 0.20, 0.15, 0.05],
        [0.35, 0.30, 0.15, 0.10, 0.10],
        [0.40, 0.30, 0.10, 0.10, 0.10],
        [0.20, 0.20, 0.30, 0.20, 0.10],
        [0.10, 0.15, 0.35, 0.30, 0.10],
    ]
)
PAYMENT_METHODS = [
    "card",
    "alipay",
    "wechat_pay",
    "paypal",
    "bank_transfer",
    "cash_on_delivery",
    "invoice",
    "other",
]
PAYMENT_BY_CHANNEL = np.array(
    [
        [0.20, 0.45, 0.25, 0.03, 0.02, 0.03, 0.00, 0.02],
        [0.05, 0.50, 0.45, 0.00, 0.00, 0.00, 0.00, 0.00],
        [0.20, 0.05, 0.05, 0.00, 0.25, 0.25, 0.20, 0.00],
        [0.05, 0.00, 0.00, 0.00, 0.40, 0.00, 0.50, 0.05],
        [0.30, 0.30, 0.35, 0.00, 0.00, 0.00, 0.00, 0.05],
        [0.10, 0.80, 0.10, 0.00, 0.00, 0.00, 0.00, 0.00],
    ]
)
INTERNATIONAL_PAYMENT = np.array([0.40, 0.0, 0.0, 0.55, 0.05, 0.0, 0.0, 0.0])
SLOW_PAYMENTS = {"bank_transfer", "invoice"}  # paid a day or more after confirmation

# --- suppliers and products ----------------------------------------------------------------
# (id, name, country, quoted lead days, real mean lead days, lead-time CV, currency)
SUPPLIERS = [
    ("SUP-01", "深圳华强电子有限公司", "China", 12, 13.0, 0.25, "CNY"),
    ("SUP-02", "宁波美家家居用品有限公司", "China", 18, 19.0, 0.20, "CNY"),
    ("SUP-03", "广州丽人化妆品有限公司", "China", 10, 10.0, 0.15, "CNY"),
    ("SUP-04", "杭州织锦服饰有限公司", "China", 15, 17.0, 0.35, "CNY"),
    ("SUP-05", "Nordic Outdoor Gear AB", "Sweden", 45, 48.0, 0.30, "EUR"),
    ("SUP-06", "Tokyo Baby Goods K.K.", "Japan", 28, 29.0, 0.25, "JPY"),
    ("SUP-07", "山东鲁味食品有限公司", "China", 7, 7.0, 0.15, "CNY"),
    ("SUP-08", "Pacific Trading Ltd", "Hong Kong", 30, 38.0, 0.60, "USD"),  # unreliable
]

# (code, Chinese, English, price low, price high, supplier indices, yearly peak month,
#  seasonal amplitude, return-rate factor, [(Chinese noun, English noun), ...])
CATEGORIES = [
    ("DIG", "数码", "Electronics", 99, 4999, [0, 7], 11, 0.15, 1.0,
     [("蓝牙耳机", "Bluetooth Earbuds"), ("充电宝", "Power Bank"), ("智能手表", "Smart Watch"),
      ("平板电脑", "Tablet"), ("机械键盘", "Mechanical Keyboard"), ("数据线", "USB-C Cable")]),
    ("APP", "家电", "Appliances", 199, 6999, [7, 0], 6, 0.25, 0.8,
     [("空气炸锅", "Air Fryer"), ("扫地机器人", "Robot Vacuum"), ("电风扇", "Electric Fan"),
      ("取暖器", "Space Heater"), ("电饭煲", "Rice Cooker"), ("净水器", "Water Purifier")]),
    ("CLO", "服装", "Apparel", 59, 899, [3], 12, 0.30, 2.5,
     [("羽绒服", "Down Jacket"), ("T恤", "T-Shirt"), ("牛仔裤", "Jeans"),
      ("连衣裙", "Dress"), ("卫衣", "Hoodie"), ("运动鞋", "Sneakers")]),
    ("BEA", "美妆", "Beauty", 39, 599, [2], 11, 0.10, 1.2,
     [("面霜", "Face Cream"), ("口红", "Lipstick"), ("防晒霜", "Sunscreen"),
      ("精华液", "Serum"), ("面膜", "Face Mask"), ("洗面奶", "Cleanser")]),
    ("FOO", "食品", "Food", 9, 199, [6], 1, 0.25, 0.3,
     [("坚果礼盒", "Nut Gift Box"), ("绿茶", "Green Tea"), ("咖啡豆", "Coffee Beans"),
      ("月饼", "Mooncakes"), ("零食大礼包", "Snack Bundle"), ("蜂蜜", "Honey")]),
    ("BAB", "母婴", "Mother & Baby", 29, 899, [5], 5, 0.10, 1.0,
     [("纸尿裤", "Diapers"), ("奶粉", "Infant Formula"), ("婴儿推车", "Stroller"),
      ("奶瓶", "Baby Bottle"), ("湿巾", "Baby Wipes"), ("安全座椅", "Car Seat")]),
    ("HOM", "家居", "Home", 19, 1299, [1], 3, 0.10, 1.0,
     [("四件套", "Bedding Set"), ("收纳盒", "Storage Box"), ("台灯", "Desk Lamp"),
      ("保温杯", "Thermos"), ("毛巾", "Towel"), ("不粘锅", "Non-stick Pan")]),
    ("SPO", "运动户外", "Sports & Outdoor", 49, 1999, [4, 3], 7, 0.35, 1.2,
     [("瑜伽垫", "Yoga Mat"), ("帐篷", "Tent"), ("登山包", "Hiking Backpack"),
      ("跑步鞋", "Running Shoes"), ("哑铃", "Dumbbells"), ("骑行头盔", "Cycling Helmet")]),
    ("BOO", "图书文具", "Books & Stationery", 9, 199, [1], 9, 0.30, 0.5,
     [("笔记本", "Notebook"), ("钢笔", "Fountain Pen"), ("绘本", "Picture Book"),
      ("台历", "Desk Calendar"), ("文件夹", "File Folder"), ("中性笔", "Gel Pen")]),
    ("PET", "宠物", "Pet Supplies", 19, 399, [6], 4, 0.05, 0.8,
     [("猫粮", "Cat Food"), ("狗粮", "Dog Food"), ("猫砂", "Cat Litter"),
      ("宠物玩具", "Pet Toy"), ("牵引绳", "Leash"), ("宠物窝", "Pet Bed")]),
]  # fmt: skip
BRANDS = [
    ("优品", "Youpin"), ("乐享", "Lexiang"), ("云朵", "Cloud"), ("星河", "Galaxy"),
    ("北极", "Polar"), ("青禾", "Qinghe"), ("木白", "Mubai"), ("拾光", "Shiguang"),
]  # fmt: skip
PACK_SIZES = np.array([1, 2, 4, 6, 12, 24])
PARETO_EXPONENT = 1.0  # popularity ~ 1/rank: the top 20% of SKUs sell ~75% of units


def sku_count(orders: int) -> int:
    """About 500 SKUs at the default 20k orders, growing mildly with the business."""
    return int(np.clip(round(500 * (orders / 20_000) ** 0.2), 120, 2_000))


@dataclass(frozen=True)
class Products:
    frame: pl.DataFrame  # the products table
    category: np.ndarray  # category index per SKU
    popularity: np.ndarray  # share of lines per SKU (sums to 1)
    price: np.ndarray  # list price (float, 2 decimals)
    supplier: np.ndarray  # supplier index
    pack: np.ndarray
    moq: np.ndarray


def make_products(rng: np.random.Generator, n: int) -> Products:
    """SKUs spread over the categories, with Pareto popularity shuffled across them."""
    n_cat = len(CATEGORIES)
    category = np.sort(rng.integers(0, n_cat, n))
    category[:n_cat] = np.arange(n_cat)  # every category has at least one SKU
    category = np.sort(category)
    rank = rng.permutation(n) + 1
    popularity = 1.0 / rank**PARETO_EXPONENT
    popularity /= popularity.sum()
    low = np.array([c[3] for c in CATEGORIES], dtype=float)[category]
    high = np.array([c[4] for c in CATEGORIES], dtype=float)[category]
    # Log-uniform prices ending in .9 or .0, as shop prices do.
    price = np.exp(rng.uniform(np.log(low), np.log(high)))
    price = np.round(np.floor(price) + rng.choice([0.0, 0.9], n), 2)
    cost = np.round(price * rng.uniform(0.35, 0.65, n), 2)
    supplier = np.array([rng.choice(CATEGORIES[c][5]) for c in category])
    cheap = price < 100
    pack = np.where(cheap, rng.choice(PACK_SIZES[2:], n), rng.choice(PACK_SIZES[:3], n))
    moq = pack * rng.integers(1, 6, n)
    names, skus = [], []
    for i, c in enumerate(category):
        code, _, _, _, _, _, _, _, _, nouns = CATEGORIES[c]
        noun_cn, noun_en = nouns[rng.integers(len(nouns))]
        brand_cn, brand_en = BRANDS[rng.integers(len(BRANDS))]
        model = int(rng.integers(1, 100))
        names.append(f"{brand_cn}{noun_cn} {model} {brand_en} {noun_en} {model}")
        skus.append(f"SKU-{code}-{i + 1:05d}")
    frame = pl.DataFrame(
        {
            "sku": skus,
            "product_name": names,
            "category": [f"{CATEGORIES[c][1]} {CATEGORIES[c][2]}" for c in category],
            "unit_cost": cost,
            "list_price": price,
            "currency": CURRENCY,
            "pack_size": pack.astype(np.int64),
            "min_order_qty": moq.astype(np.int64),
            "supplier_id": [SUPPLIERS[s][0] for s in supplier],
        }
    )
    return Products(frame, category, popularity, price, supplier, pack, moq)


def suppliers_frame() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "supplier_id": [s[0] for s in SUPPLIERS],
            "supplier_name": [s[1] for s in SUPPLIERS],
            "country": [s[2] for s in SUPPLIERS],
            "lead_time_days": [s[3] for s in SUPPLIERS],
            "currency": [s[6] for s in SUPPLIERS],
        },
        schema_overrides={"lead_time_days": pl.Int64},
    )


def warehouses_frame() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "warehouse_id": [w[0] for w in WAREHOUSES],
            "warehouse_name": [w[1] for w in WAREHOUSES],
            "region": [w[2] for w in WAREHOUSES],
            "city": [w[3] for w in WAREHOUSES],
        }
    )
