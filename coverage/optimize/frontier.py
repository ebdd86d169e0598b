"""The cost-vs-service frontier: the cheapest plan at each target share of one channel.

Shares are sized from the highest down. The crews found for a higher share meet every lower one
(same contacts, looser target), so each lower share starts trimming from them: the frontier's
rostered cost never rises as the share falls, by construction, and each point costs only a few
simulations once the first is found.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from coverage.errors import ScenarioError
from coverage.optimize.columns import sized_plan
from coverage.optimize.judge import judge
from coverage.optimize.search import search_plan
from coverage.scenario.model import Scenario
from coverage.settings import DEFAULT_ENGINE, MAX_AGENTS_PER_PLAN
from coverage.simulation.evaluate import evaluate_roster, evaluation_pool, prepare_plan
from coverage.simulation.replications import run_scenario

FRONTIER_COLUMNS = (
    "plan",
    "channel",
    "target_share",
    "per_month",
    "per_contact",
    "service_level",
    "meets_targets",
    "agents",
)


def parse_frontier(text: str, scenario: Scenario) -> tuple[str, list[float]]:
    """``CHANNEL=S1,S2,...`` → (channel, shares); ScenarioError on a bad channel or share."""
    channel, sep, shares_text = text.partition("=")
    if not sep or not shares_text:
        raise ScenarioError("--frontier", f"{text!r}: write CHANNEL=S1,S2,... e.g. chat=0.7,0.8")
    if channel not in scenario.channels:
        raise ScenarioError(
            "--frontier", f"no channel {channel!r} (channels: {', '.join(scenario.channels)})"
        )
    shares = []
    for part in shares_text.split(","):
        try:
            share = float(part)
        except ValueError:
            raise ScenarioError("--frontier", f"{part!r} is not a share") from None
        if not 0.0 < share <= 1.0:
            raise ScenarioError("--frontier", f"target share {part} is outside (0, 1]")
        shares.append(share)
    return channel, sorted(set(shares))


def with_share(scenario: Scenario, channel: str, share: float) -> Scenario:
    """The scenario with `channel`'s target share replaced."""
    ch = scenario.channels[channel]
    target = ch.target.model_copy(update={"share": share})
    channels = {**scenario.channels, channel: ch.model_copy(update={"target": target})}
    return scenario.model_copy(update={"channels": channels})


def frontier(
    scenario: Scenario,
    channel: str,
    shares: Sequence[float],
    plans: Sequence[str] | None = None,
    *,
    replications: int,
    seed: int,
    engine: str = DEFAULT_ENGINE,
    max_agents: int = MAX_AGENTS_PER_PLAN,
    progress: Callable[[str], None] | None = None,
    workers: int = 1,
) -> list[dict[str, Any]]:
    """One row per (plan, share): the cheapest crews found and what `run` reports for them."""
    rows: list[dict[str, Any]] = []
    for name in dict.fromkeys(plans or scenario.plans):  # each plan once, in first-seen order
        base = prepare_plan(scenario, name, replications=replications, seed=seed, engine=engine)
        start: np.ndarray | None = None
        for share in sorted(shares, reverse=True):
            if progress:
                progress(f"frontier {name}: {channel} at {share:g}")
            sc = with_share(scenario, channel, share)
            prepared = dataclasses.replace(base, scenario=sc)
            with evaluation_pool(prepared, workers) as pool:
                found = search_plan(
                    prepared, max_agents=max_agents, start=start, progress=progress, pool=pool
                )
            start = found.agents if found.meets else None
            plan = sized_plan(sc.plans[name], found.positions, found.agents)
            sized = sc.model_copy(update={"plans": {name: plan}})
            evaluation = evaluate_roster(prepared, plan)
            meets = not judge(sized, evaluation, plan=plan, timeline=prepared.timeline)
            result = run_scenario(sized, replications=replications, seed=seed, engine=engine)
            figures = result.plans[name]
            rows.append(
                {
                    "plan": name,
                    "channel": channel,
                    "target_share": share,
                    "per_month": figures.cost.per_month,
                    "per_contact": figures.cost.per_contact,
                    "service_level": figures.channels[channel].service_level,
                    "meets_targets": bool(meets and found.meets),
                    "agents": int(found.agents.sum()),
                }
            )
    order = list(scenario.plans)
    rows.sort(key=lambda r: (order.index(r["plan"]), r["target_share"]))
    return rows
