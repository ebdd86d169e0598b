"""The sidebar on every page: the scenario (bundled or uploaded) and the what-if levers."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import streamlit as st

from coverage.app import boundary, files, levers
from coverage.app.calibration import CALIBRATED_KEY
from coverage.errors import ScenarioError
from coverage.scenario.model import Scenario
from coverage.simulation.replications import DEFAULT_ENGINE, ENGINES

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
DEFAULT_SCENARIO = "global-saas.yaml"
DEFAULT_REPLICATIONS_CAP = 20  # the app's first run uses the file's replications, at most this


class Chosen(NamedTuple):
    """The scenario the levers start from, with `boundary.content_key` of it."""

    scenario: Scenario
    key: str


@st.cache_resource(max_entries=32, show_spinner=False)
def _bundled(path: str, mtime_ns: int) -> Chosen:
    """A bundled file, parsed once per version (`mtime_ns`) for every session of the server.

    Scenarios are frozen, so sessions can share one object.
    """
    scenario = files.load_bundled(path, SCENARIOS)
    return Chosen(scenario, boundary.content_key(scenario))


@st.cache_resource(max_entries=8, show_spinner=False)
def _uploaded(data: bytes, name: str) -> Chosen:
    """An uploaded (or calibrated) scenario, parsed once per content; errors are not cached."""
    scenario = files.scenario_from_upload(data, name)
    return Chosen(scenario, boundary.content_key(scenario))


def choose_scenario() -> Chosen:
    """A bundled scenario, or the uploaded one when it is valid (else its error is shown).

    Once the Calibrate page has made a calibrated scenario, it is offered first. Each file or
    upload is parsed once, not on every rerun.
    """
    side = st.sidebar
    calibrated = st.session_state.get(CALIBRATED_KEY)
    if calibrated and side.checkbox("Use the calibrated scenario", True, key="use_calibrated"):
        return _uploaded(calibrated.encode(), "calibrated.yaml")
    bundled = files.bundled_scenarios(SCENARIOS)
    names = list(bundled)
    index = names.index(DEFAULT_SCENARIO) if DEFAULT_SCENARIO in names else 0
    name = side.selectbox("Bundled scenario", names, index=index)
    upload = side.file_uploader(
        "…or upload a scenario (YAML, at most 1 MB)", type=["yaml", "yml"], max_upload_size=1
    )
    if upload is not None:
        try:
            return _uploaded(upload.getvalue(), upload.name)
        except ScenarioError as exc:
            st.error(str(exc))
            st.caption(f"The upload was not used; showing the bundled scenario {name}.")
    path = bundled[name]
    return _bundled(str(path), path.stat().st_mtime_ns)


def _demand_levers(sc: Scenario, k: str) -> dict[str, dict]:
    out: dict[str, dict] = {"volume": {}, "deflection": {}, "patience_multiplier": {}}
    logs = levers.has_log_demand(sc)
    for c, channel in sc.channels.items():
        out["volume"][c] = st.slider(
            f"{c}: volume [×]",
            0.5,
            2.0,
            1.0,
            0.05,
            key=f"{k}vol:{c}",
            disabled=logs,
            help="contact logs cannot be scaled" if logs else None,
        )
        bot = sc.automation.get(c)
        now = bot.deflection if bot else 0.0
        share = st.slider(f"{c}: bot deflection [share]", 0.0, 0.9, now, 0.05, key=f"{k}defl:{c}")
        if share != now:
            out["deflection"][c] = share
        if channel.patience is not None:
            out["patience_multiplier"][c] = st.slider(
                f"{c}: patience [× mean {channel.patience.expected_s:g} s]",
                0.25,
                4.0,
                1.0,
                0.25,
                key=f"{k}pat:{c}",
            )
    return out


def _site_levers(sc: Scenario, k: str) -> dict[str, dict]:
    out: dict[str, dict] = {"agents_multiplier": {}, "hourly_cost": {}, "night_premium": {}}
    for pname, plan in sc.plans.items():
        with st.sidebar.expander(f"Staffing and pay: {pname}"):
            for sname, site in plan.sites.items():
                key = (pname, sname)
                out["agents_multiplier"][key] = st.slider(
                    f"{sname}: agents [× every shift]", 0.0, 3.0, 1.0, 0.05, key=f"{k}ag:{key}"
                )
                out["hourly_cost"][key] = st.number_input(
                    f"{sname}: hourly cost [{sc.currency}/paid h]",
                    0.0,
                    levers.MAX_MONEY,  # the model's bound: any valid file shows its own value
                    site.hourly_cost,
                    key=f"{k}cost:{key}",
                )
                night = site.night_premium.rate if site.night_premium else 0.0
                out["night_premium"][key] = st.number_input(
                    f"{sname}: night premium [share of hourly cost]",
                    0.0,
                    levers.MAX_PREMIUM,
                    night,
                    0.05,
                    key=f"{k}night:{key}",
                )
    return out


def read_levers(sc: Scenario, key: str | None = None) -> levers.Levers:
    """Draw the levers for `sc` and return what they say (only UI state is kept).

    `key` is `boundary.content_key(sc)` when the caller has it (computed here otherwise).
    """
    # keyed by content: a scenario's levers start from its values
    k = boundary.content_key(sc) if key is None else key
    with st.sidebar.expander("Demand, bot and patience", expanded=True):
        demand = _demand_levers(sc, k)
    sites = _site_levers(sc, k)
    with st.sidebar.expander("Agents per shift (exact numbers win over the multipliers)"):
        shifts = levers.shift_table(sc)
        edited = st.data_editor(
            shifts, disabled=list(shifts.columns[:-1]), hide_index=True, key=f"{k}shifts"
        )
    default_reps = min(sc.replications, DEFAULT_REPLICATIONS_CAP)
    reps = st.sidebar.slider(
        "Replications", 1, levers.MAX_APP_REPLICATIONS, default_reps, key="replications"
    )
    if int(reps) != sc.replications:
        capped = " (capped for the app)" if sc.replications > DEFAULT_REPLICATIONS_CAP else ""
        st.sidebar.caption(
            f"The file asks for {sc.replications} replications{capped}; `coverage-sim run` uses "
            f"{sc.replications}, so figures differ from the CLI's by up to their intervals."
        )
    # text, not a number widget: a seed may be up to 2**63 - 1, beyond what a browser's numbers hold
    seed = levers.parse_seed(st.sidebar.text_input("Seed", str(sc.seed), key=f"{k}seed"))
    return levers.Levers(
        **demand,
        **sites,
        shift_agents=levers.shift_agents_changes(shifts, edited),
        replications=int(reps),
        seed=seed,
    )


def choose_engine() -> str:
    """The simulation engine (the package's default unless the user picks another)."""
    with st.sidebar.expander("Engine"):
        return st.selectbox(
            "Simulation engine",
            ENGINES,
            index=ENGINES.index(DEFAULT_ENGINE),
            key="engine",
            help="simpy is the reference; fast is the compiled engine with the same results",
        )
