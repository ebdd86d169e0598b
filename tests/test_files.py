"""Unit tests of coverage.app.files: uploads are read from memory and never name a server path;
bundled scenarios may read contact logs only inside their folder."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from coverage.app import files
from coverage.errors import ScenarioError

ROOT = Path(__file__).resolve().parents[1]


def test_upload_errors_read_like_the_cli(tiny_raw):
    tiny_raw["plans"]["day"]["sites"]["berlin"]["shifts"][0]["start"] = "25:00"
    text = yaml.safe_dump(tiny_raw).encode()
    with pytest.raises(ScenarioError) as info:
        files.scenario_from_upload(text, "mine.yaml")
    assert str(info.value) == (
        "mine.yaml: plans.day.sites.berlin.shifts[0].start: '25:00' is not a time of day"
    )
    with pytest.raises(ScenarioError, match=r"^big\.yaml: upload is 1,000,001 bytes"):
        files.scenario_from_upload(b"#" * 1_000_001, "big.yaml")
    with pytest.raises(ScenarioError, match=r"^x\.yaml: line 1: not valid YAML"):
        files.scenario_from_upload(b"a: [", "x.yaml")


def test_upload_never_names_a_server_path(tiny_raw, tmp_path):
    # an existing absolute path must be refused before anything looks at it
    log = tmp_path / "contacts.csv"
    log.write_text("timestamp,channel\n")
    for key in ("replay", "fit"):
        raw = {**tiny_raw, "demand": [*tiny_raw["demand"], {key: str(log), "time_zone": "UTC"}]}
        with pytest.raises(ScenarioError) as info:
            files.scenario_from_upload(yaml.safe_dump(raw).encode(), "up.yaml")
        assert str(info.value).startswith(f"up.yaml: demand[2].{key}: an uploaded scenario cannot")
        assert str(tmp_path) not in str(info.value)
    good = files.scenario_from_upload(yaml.safe_dump(tiny_raw).encode(), "up.yaml")
    assert good.base_dir is None


def test_bundled_scenarios_and_logs_outside_the_folder(tiny_raw, tmp_path):
    bundled = files.bundled_scenarios(ROOT / "scenarios")
    assert "global-saas.yaml" in bundled
    assert (
        files.load_bundled(bundled["global-saas.yaml"], ROOT / "scenarios").name == "global-saas"
    )
    folder = tmp_path / "scenarios"
    folder.mkdir()
    (tmp_path / "outside.csv").write_text("timestamp,channel\n")
    raw = {**tiny_raw, "demand": [*tiny_raw["demand"], {"fit": "../outside.csv"}]}
    (folder / "sneaky.yaml").write_text(yaml.safe_dump(raw))
    with pytest.raises(
        ScenarioError, match=r"sneaky\.yaml: demand\[2\]\.fit: .*outside the scenarios"
    ):
        files.load_bundled(folder / "sneaky.yaml", folder)
