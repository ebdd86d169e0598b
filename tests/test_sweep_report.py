"""The batch report ranks distinct configurations, names them by their settings, shows no <NA>."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from coverage.cli import main
from coverage.sweeps.report import best_variants, report_html, report_text, setting_label

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"

BOT = "automation.chat.deflection"
CREW = "plans.q.sites.austin.shifts[7].agents"


def _summary() -> pd.DataFrame:
    # Unit: 2 bot levels × 2 crew sizes of plan q. Plan p has no crew override, so for p the
    # four variants are only two configurations; the crew size is missing (NA) in variant e.
    rows = []
    grid = {"a": (0.0, 9), "b": (0.0, 12), "c": (0.15, 9), "d": (0.15, 12), "e": (0.15, None)}
    for variant, (bot, crew) in grid.items():
        level = 0.75 + bot  # p meets only with the bot (0.90 ≥ 0.8)
        rows.append((variant, "p", "chat", level, 100.0 - 10 * bot, bot, crew))
        q_level = 0.7 + bot + (0.05 if crew == 12 else 0.0)
        rows.append((variant, "q", "chat", q_level, 200.0 + (crew or 0), bot, crew))
    frame = pd.DataFrame(
        rows, columns=["variant", "plan", "channel", "service_level", "cost_per_month", BOT, CREW]
    )
    frame[CREW] = frame[CREW].astype("Int64")
    frame["target_share"] = 0.8
    frame["target_answer_within_s"] = 60.0
    frame["currency"] = "USD"
    return frame


def test_each_plan_ranks_its_distinct_configurations_once_unit() -> None:
    best = best_variants(_summary(), [BOT, CREW])
    p = best[best["plan"] == "p"]
    assert p["name"].tolist() == [
        "automation.chat.deflection=0.15",
        "automation.chat.deflection=0.0",
    ]
    assert p["identical"].tolist() == [2, 1]  # c stands for c, d, e; a for a, b
    assert p["rank"].tolist() == [1, 2]
    q = best[best["plan"] == "q"]
    assert len(q) == 5  # every variant is its own configuration for q
    assert q["name"].tolist()[:3] == [  # meeting, cheapest first (e sets no crew: cost 200)
        "automation.chat.deflection=0.15",
        "automation.chat.deflection=0.15, austin.shifts[7].agents=9",
        "automation.chat.deflection=0.15, austin.shifts[7].agents=12",
    ]
    assert q["identical"].tolist() == [0] * 5


def test_report_names_variants_by_settings_and_shows_no_na_unit() -> None:
    summary = _summary()
    text = report_text(summary, [BOT, CREW])
    assert "p: 2 distinct configurations (3 variants differ from them only in another" in text
    assert "austin.shifts[7].agents=9" in text
    page = report_html(summary, [BOT, CREW])
    assert "<NA>" not in page
    assert "<NA>" not in text
    assert "&lt;NA&gt;" not in page
    assert setting_label("plans.q.sites.austin.shifts[7].agents") == "austin.shifts[7].agents"
    assert setting_label("plans.q.automation.chat.deflection") == "automation.chat.deflection"
    assert setting_label(BOT) == BOT


def test_a_currency_override_is_the_currency_column_and_the_report_does_not_mix_them(tmp_path):
    # Regression: a sweep over `currency` crashed writing the summary ("cannot insert currency,
    # already exists"); costs in two currencies must not be ranked as one money.
    sweep = tmp_path / "sweep.yaml"
    sweep.write_text(
        f"base: {SCENARIOS / 'three-agent-24x7.yaml'}\nreplications: 2\n"
        "grid:\n  currency: [USD, EUR]\n"
    )
    out = tmp_path / "out"
    assert main(["batch", str(sweep), "--out", str(out), "--workers", "1"]) == 0
    summary = pd.read_csv(out / "summary.csv")
    assert list(summary.columns).count("currency") == 1
    assert set(summary["currency"]) == {"USD", "EUR"}
    manifest = json.loads((out / "manifest.json").read_text())
    text = report_text(summary, manifest["override_columns"])
    assert "2 currencies (USD, EUR) and are not converted" in text
    assert " USD " in text
    assert " EUR " in text
