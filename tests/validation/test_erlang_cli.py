"""`coverage-sim erlang`: the table and --json against coverage.erlang and the analytic values.

Kind 2 (validation against published values or theory): Erlang C from its closed form
(Gross et al. 2008), computed independently here; Erlang A and the M/M/c·k chat case from
tests/data/public_cases.json (exact Erlang A birth-death chain and tagged-customer
chain; Erlang C with c = agents × concurrency), copied below with six significant digits.
"Match to 4 digits" means: every printed or returned figure is within 5e-5 of the analytic value
(the table's last printed digit), plus the published value's own rounding.

Most tests call the console script's entry point, `coverage.cli.main`, in this process (the
same code the `coverage-sim` script runs); two run the installed script itself.
"""

from __future__ import annotations

import json
import math
import subprocess
from typing import Any

import pytest

from coverage.cli import main
from coverage.erlang import erlang_summary

CONTRACT_KEYS = {"agents", "p_wait", "service_level", "asa_s", "abandon_rate", "occupancy"}
TABLE_LABELS = {
    "P(wait)": "p_wait",
    "ASA [s]": "asa_s",
    "abandon rate": "abandon_rate",
    "occupancy": "occupancy",
    "mean wait, all [s]": "mean_wait_all_s",
}
FOUR_DIGITS = 5e-5  # half a unit of the 4th decimal
PUBLISHED_ROUNDING = 5e-6  # the case file's values have 6 significant digits (all < 100)

# tests/data/public_cases.json, "expected" (exact analytic)
ERLANG_A_14 = {  # PUB-ERLA-C14: 200/h, AHT 180 s, 14 agents, exponential patience 300 s, T 20 s
    "p_wait": 0.14526,
    "abandon_rate": 0.0139837,
    "asa_s": 3.87848,
    "mean_wait_all_s": 4.19512,
    "service_level": 0.916792,
    "occupancy": 0.704297,
}
CHAT_K2 = {  # PUB-CHAT-K2: 90/h, AHT 480 s, 8 agents × concurrency 2, T 60 s (M/M/16)
    "p_wait": 0.204574,
    "asa_s": 24.5489,
    "mean_wait_all_s": 24.5489,
    "service_level": 0.87592,
    "occupancy": 0.75,
}


def erlang_c_closed_form(per_hour: float, aht_s: float, servers: int, target_s: float):
    """Erlang C by its textbook closed form (Gross et al. 2008, M/M/c steady state).

    P(wait) = (a^c/c! · c/(c−a)) / (Σ_{k<c} a^k/k! + a^c/c! · c/(c−a)), SL = 1 − P(wait) ·
    exp(−(c − a)·T/AHT), ASA = P(wait)·AHT/(c − a), occupancy = a/c, a = per_hour·AHT/3600.
    """
    a = per_hour * aht_s / 3600.0
    c = servers
    top = a**c / math.factorial(c) * c / (c - a)
    p_wait = top / (sum(a**k / math.factorial(k) for k in range(c)) + top)
    asa_s = p_wait * aht_s / (c - a)
    return {
        "p_wait": p_wait,
        "service_level": 1.0 - p_wait * math.exp(-(c - a) * target_s / aht_s),
        "asa_s": asa_s,
        "mean_wait_all_s": asa_s,
        "abandon_rate": 0.0,
        "occupancy": a / c,
    }


def test_closed_form_reproduces_the_published_erlang_c_case_validation():
    # Validation: the closed form above gives PUB-ERLC-C14's published figures (6 digits), so
    # it is a fair yardstick for the CLI.
    got = erlang_c_closed_form(200, 180, 14, 20)
    published = {"p_wait": 0.174132, "asa_s": 7.83594, "service_level": 0.88835}
    for key, value in published.items():
        assert got[key] == pytest.approx(value, abs=PUBLISHED_ROUNDING), key
    assert got["occupancy"] == pytest.approx(10 / 14, abs=1e-12)


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["erlang", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _table(text: str) -> dict[str, str]:
    values = {}
    for line in text.splitlines()[1:]:
        label, _, value = line.strip().rpartition(" ")
        values[label.strip()] = value
    return values


def _check_against(
    figures: dict[str, Any], analytic: dict[str, float], tolerance: float
) -> list[str]:
    bad = []
    for key, value in analytic.items():
        if abs(figures[key] - value) > tolerance:
            bad.append(f"{key}: {figures[key]} vs {value}")
    return bad


ERLANG_C_CASES = [
    # (args, per_hour, aht_s, servers, target_s)
    (["--per-hour", "200", "--aht-s", "180", "--agents", "14"], 200, 180, 14, 20),
    (["--per-hour", "200", "--aht-s", "180", "--agents", "13"], 200, 180, 13, 20),
    (["--per-hour", "200", "--aht-s", "180", "--agents", "15", "--target-s", "30"],
     200, 180, 15, 30),
    (
        ["--per-hour", "90", "--aht-s", "480", "--agents", "8", "--concurrency", "2",
         "--target-s", "60"],
        90, 480, 16, 60,
    ),
]  # fmt: skip


@pytest.mark.parametrize(("args", "per_hour", "aht_s", "servers", "target_s"), ERLANG_C_CASES)
def test_erlang_c_json_and_table_validation(args, per_hour, aht_s, servers, target_s, capsys):
    # Validation: --json equals coverage.erlang exactly and the closed form to 4 digits (far
    # closer in fact: 1e-9); the table prints the same figures rounded to 4 decimals.
    code, out, err = _run([*args, "--json"], capsys)
    assert (code, err) == (0, "")
    figures = json.loads(out)
    assert set(figures) >= CONTRACT_KEYS
    agents = int(args[args.index("--agents") + 1])
    concurrency = int(args[args.index("--concurrency") + 1]) if "--concurrency" in args else 1
    library = erlang_summary(
        per_hour, aht_s, agents=agents, target_s=target_s, concurrency=concurrency
    )
    assert figures == library
    analytic = erlang_c_closed_form(per_hour, aht_s, servers, target_s)
    assert not _check_against(figures, analytic, 1e-9)

    code, out, err = _run(args, capsys)
    assert (code, err) == (0, "")
    assert out.splitlines()[0].startswith("Erlang C (M/M/c)")
    table = _table(out)
    assert table["agents"] == str(agents)
    assert table[f"service level ({target_s:g} s)"] == f"{library['service_level']:.4f}"
    for label, key in TABLE_LABELS.items():
        assert table[label] == f"{library[key]:.4f}", label
        assert abs(float(table[label]) - analytic[key]) <= FOUR_DIGITS + 1e-12, label


def test_chat_concurrency_matches_published_case_validation(capsys):
    # Validation: PUB-CHAT-K2 published figures (M/M/16) to 4 digits.
    args = ["--per-hour", "90", "--aht-s", "480", "--agents", "8", "--concurrency", "2"]
    code, out, _ = _run([*args, "--target-s", "60", "--json"], capsys)
    assert code == 0
    assert not _check_against(json.loads(out), CHAT_K2, FOUR_DIGITS)


def test_erlang_a_json_and_table_match_published_validation(capsys):
    # Validation: Erlang A (exact) for 200/h, AHT 180 s, 14 agents, patience 300 s against
    # PUB-ERLA-C14 to 4 digits; the table prints coverage.erlang's figures to 4 decimals.
    args = ["--per-hour", "200", "--aht-s", "180", "--agents", "14", "--patience-s", "300"]
    code, out, err = _run([*args, "--json"], capsys)
    assert (code, err) == (0, "")
    figures = json.loads(out)
    library = erlang_summary(200, 180, agents=14, patience_s=300)
    assert figures == library
    assert not _check_against(figures, ERLANG_A_14, FOUR_DIGITS)

    code, out, _ = _run(args, capsys)
    assert code == 0
    assert out.splitlines()[0].startswith("Erlang A (M/M/c+M)")
    table = _table(out)
    assert table["service level (20 s)"] == f"{library['service_level']:.4f}"
    for label, key in TABLE_LABELS.items():
        assert table[label] == f"{library[key]:.4f}", label
        bound = FOUR_DIGITS + PUBLISHED_ROUNDING * max(1.0, ERLANG_A_14[key])
        assert abs(float(table[label]) - ERLANG_A_14[key]) <= bound, label


def test_target_share_finds_fourteen_agents_validation(capsys):
    # Validation: Erlang C, 200/h, AHT 180 s, 80 % within 20 s: 13 agents give 0.7956, 14 give
    # 0.8884 (published cases C13 and C14), so the fewest meeting 0.8 is 14.
    args = ["--per-hour", "200", "--aht-s", "180", "--target-share", "0.8", "--json"]
    code, out, _ = _run(args, capsys)
    assert code == 0
    figures = json.loads(out)
    assert figures["agents"] == 14
    assert figures["service_level"] == pytest.approx(0.88835, abs=FOUR_DIGITS)
    assert erlang_c_closed_form(200, 180, 13, 20)["service_level"] < 0.8


def test_target_share_with_patience_is_minimal_validation(capsys):
    # Validation: with Erlang A the answer is the fewest agents whose service level (answered
    # within T / all arrivals) reaches the target: N meets it, N − 1 does not.
    args = ["--per-hour", "200", "--aht-s", "180", "--target-share", "0.8"]
    code, out, _ = _run([*args, "--patience-s", "300", "--json"], capsys)
    assert code == 0
    agents = json.loads(out)["agents"]
    assert erlang_summary(200, 180, agents=agents, patience_s=300)["service_level"] >= 0.8
    assert erlang_summary(200, 180, agents=agents - 1, patience_s=300)["service_level"] < 0.8


def test_unstable_erlang_c_gives_null_figures_unit(capsys):
    # Unit: 10 agents for 10 Erlang: the queue grows without bound: nulls in JSON, dashes in
    # the table, never a crash.
    args = ["--per-hour", "200", "--aht-s", "180", "--agents", "10"]
    code, out, _ = _run([*args, "--json"], capsys)
    assert code == 0
    figures = json.loads(out)
    assert figures["service_level"] is None
    assert figures["asa_s"] is None
    assert figures["p_wait"] == pytest.approx(1.0, abs=0)
    code, out, _ = _run(args, capsys)
    assert code == 0
    assert _table(out)["ASA [s]"] == "—"


def test_installed_script_prints_the_worked_example_validation(cli):
    # Validation, end to end through the installed `coverage-sim` script: the Erlang C worked
    # example (100 calls / 30 min, AHT 180 s, 14 agents; docs/domain.md) as JSON.
    proc = subprocess.run(
        [*cli, "erlang", "--per-hour", "200", "--aht-s", "180", "--agents", "14", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    figures = json.loads(proc.stdout)
    assert figures == erlang_summary(200, 180, agents=14)
    assert not _check_against(figures, erlang_c_closed_form(200, 180, 14, 20), FOUR_DIGITS)


def test_installed_script_bad_value_exits_2_with_one_line_unit(cli):
    # Unit: bad input exits 2 with one line on stderr naming the problem, no traceback.
    proc = subprocess.run(
        [*cli, "erlang", "--per-hour", "-5", "--aht-s", "180", "--agents", "3"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error: erlang: per_hour")
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["--per-hour", "200", "--aht-s", "0", "--agents", "3"],
        ["--per-hour", "200", "--aht-s", "180", "--agents", "0"],
        ["--per-hour", "200", "--aht-s", "180", "--target-share", "1.0"],
    ],
    ids=["zero-aht", "zero-agents", "target-share-1"],
)
def test_bad_values_exit_2_unit(args, capsys):
    # Unit: other bad values give exit 2 and an "error: erlang: ..." line, no traceback.
    code, out, err = _run(args, capsys)
    assert code == 2
    assert out == ""
    assert err.startswith("error: erlang: ")
    assert len(err.strip().splitlines()) == 1


def test_agents_and_target_share_together_are_refused_unit(capsys):
    # Unit: --agents and --target-share are mutually exclusive (argparse exits 2).
    with pytest.raises(SystemExit) as info:
        main(["erlang", "--per-hour", "5", "--aht-s", "180", "--agents", "3",
              "--target-share", "0.8"])  # fmt: skip
    assert info.value.code == 2
    assert "not allowed with" in capsys.readouterr().err
