"""Generate `scenarios/data/example-contacts.csv`: two weeks of a small help desk's contact log.

    .venv/bin/python scripts/make_example_log.py            # writes the file (seed 2026)
    .venv/bin/python scripts/make_example_log.py --out x.csv --days 56 --seed 1

The help desk: a Berlin software company with customers in Europe (local time Europe/Berlin;
70% write in German, 30% in English) and North America (America/New_York; English), over phone,
chat and email. The export is what a help-desk tool gives: one row per contact, timestamps in the
account's time zone (Europe/Berlin) with their UTC offset, handle times recorded for phone and
chat (a few phone rows lack one) but not for email, 5% of phone and chat contacts from VIP
accounts, and the language left blank for North American rows (the region's language applies).

The demand model is the simulator's own (docs/scenario-format.md): per customer-local hour a rate
``PER_HOUR[channel, region][hour] × WEEKDAY_FACTORS[weekday] × G[date]``, G a Gamma day
multiplier of mean 1 and CV `BUSYNESS_CV`, drawn as an exact non-homogeneous Poisson process per
UTC minute. Where the figures come from (docs/domain.md): a business-day curve by customer
local hour, weekends at 50% / 40% of a weekday, handle times lognormal (Brown et al. 2005) with
phone ~6 min and chat ~13 min. Volumes are a small team's: about 370 contacts on a weekday.

`true_rates()` gives the exact rate table a log is drawn from, so tests can check that fitting
recovers it.
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "scenarios" / "data" / "example-contacts.csv"
EXPORT_ZONE = "Europe/Berlin"
REGION_ZONES = {"emea": "Europe/Berlin", "americas": "America/New_York"}
# contacts per hour by customer-local hour 0..23, on a weekday
_CURVE = np.array(
    [0.08, 0.05, 0.04, 0.04, 0.05, 0.08, 0.2, 0.45, 0.8, 1.0, 1.0, 0.98,
     0.9, 0.95, 1.0, 0.95, 0.85, 0.7, 0.5, 0.4, 0.35, 0.3, 0.2, 0.12]
)  # fmt: skip
PEAK_PER_HOUR = {
    ("phone", "emea"): 6.0,
    ("chat", "emea"): 8.0,
    ("email", "emea"): 5.0,
    ("phone", "americas"): 4.0,
    ("chat", "americas"): 5.0,
    ("email", "americas"): 3.0,
}
WEEKDAY_FACTORS = np.array([1.0, 1.0, 1.0, 1.0, 1.0, 0.5, 0.4])  # Mon..Sun
BUSYNESS_CV = 0.1
HANDLE = {"phone": (360.0, 0.9), "chat": (780.0, 0.8)}  # lognormal mean [s], sd of ln
VIP_SHARE = 0.05
GERMAN_SHARE = 0.7  # of emea contacts
PHONE_HANDLE_MISSING = 0.03


def true_rates(scale: float = 1.0) -> dict[tuple[str, str], np.ndarray]:
    """The rate table [contacts/h] by (channel, region), shape (7, 24): weekday × local hour."""
    return {
        key: scale * peak * WEEKDAY_FACTORS[:, None] * _CURVE[None, :]
        for key, peak in PEAK_PER_HOUR.items()
    }


def generate_log(
    *,
    start: dt.date = dt.date(2026, 3, 2),
    days: int = 14,
    seed: int = 2026,
    scale: float = 1.0,
    busyness_cv: float = BUSYNESS_CV,
) -> pd.DataFrame:
    """Draw a log covering `days` local days (Europe/Berlin) from `start`, sorted by time."""
    rng = np.random.default_rng(seed)
    first = pd.Timestamp(start).tz_localize(EXPORT_ZONE).tz_convert("UTC")
    last = pd.Timestamp(start + dt.timedelta(days=days)).tz_localize(EXPORT_ZONE).tz_convert("UTC")
    minutes = pd.date_range(first, last, freq="min", inclusive="left").as_unit("ns")
    parts = []
    for (channel, region), rates in true_rates(scale).items():
        local = minutes.tz_convert(REGION_ZONES[region])
        dates = np.asarray(local.tz_localize(None).normalize().values.astype("datetime64[D]"))
        uniq, day = np.unique(dates, return_inverse=True)
        busy = np.ones(len(uniq))
        if busyness_cv > 0:
            busy = rng.gamma(1.0 / busyness_cv**2, busyness_cv**2, len(uniq))
        expected = rates[np.asarray(local.day_of_week), np.asarray(local.hour)] * busy[day] / 60.0
        counts = rng.poisson(expected)
        at = np.repeat(minutes.asi8, counts) + (rng.random(counts.sum()) * 60e9).astype(np.int64)
        n = len(at)
        frame = pd.DataFrame({"at_ns": at, "channel": channel, "region": region})
        if channel in HANDLE:
            mean_s, sigma = HANDLE[channel]
            handle = rng.lognormal(np.log(mean_s) - sigma**2 / 2, sigma, n).round()
            if channel == "phone":
                handle[rng.random(n) < PHONE_HANDLE_MISSING] = np.nan
            frame["handle_time_s"] = handle
            frame["segment"] = np.where(rng.random(n) < VIP_SHARE, "vip", "")
        else:
            frame["handle_time_s"] = np.nan
            frame["segment"] = ""
        if region == "emea":
            frame["language"] = np.where(rng.random(n) < GERMAN_SHARE, "de", "en")
        else:
            frame["language"] = ""
        parts.append(frame)
    log = pd.concat(parts, ignore_index=True).sort_values("at_ns", kind="stable")
    stamps = pd.to_datetime(log["at_ns"].to_numpy(), unit="ns", utc=True).tz_convert(EXPORT_ZONE)
    text = pd.Series(stamps.strftime("%Y-%m-%dT%H:%M:%S%z"), index=log.index)
    log["timestamp"] = text.str[:-2] + ":" + text.str[-2:]
    log["handle_time_s"] = log["handle_time_s"].map(lambda v: "" if pd.isna(v) else f"{v:.0f}")
    columns = ["timestamp", "channel", "region", "handle_time_s", "language", "segment"]
    return log[columns].reset_index(drop=True)


def main() -> None:
    """Write the example log (the defaults reproduce the file in scenarios/data/)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(DEFAULT_OUT))
    parser.add_argument("--start", default="2026-03-02", help="first local date (YYYY-MM-DD)")
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    log = generate_log(start=dt.date.fromisoformat(args.start), days=args.days, seed=args.seed)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    log.to_csv(out, index=False, lineterminator="\n")
    print(f"wrote {len(log):,} contacts to {out}")


if __name__ == "__main__":
    main()
