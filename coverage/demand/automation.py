"""Automation: a bot in front of a channel deflects some contacts and delays the rest.

On a channel with automation every contact first talks to the bot (billed `cost_per_contact`).
With probability `deflection` — decided by the contact's own uniform draw `bot_u`, so every plan
and every deflection level use the same random numbers — the bot resolves it; otherwise the
contact joins the agent queue `bot_time_s` after arriving. Patience starts when it joins the
agent queue (docs/scenario-format.md, "Automation").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from coverage.demand.arrivals import Contacts
from coverage.scenario.model import Automation, Scenario


@dataclass(frozen=True)
class BotOutcome:
    """What the bot did with each contact of a replication (arrays aligned with `Contacts`).

    Attributes
    ----------
    bot : bool, talked to a bot
    deflected : bool, resolved by the bot; never reaches an agent
    joined_at_s : float64, when it joined the agent queue [s] (nan when deflected)
    bot_cost : float64, cost of its bot conversation [currency]
    """

    bot: np.ndarray
    deflected: np.ndarray
    joined_at_s: np.ndarray
    bot_cost: np.ndarray


def apply_automation(
    contacts: Contacts, scenario: Scenario, automation: dict[str, Automation]
) -> BotOutcome:
    """Apply a plan's automation to the contacts of one replication (pure).

    Parameters
    ----------
    contacts : Contacts
        The replication's contacts; ``bot_u`` decides deflection.
    scenario : Scenario
        Channel order.
    automation : dict of str to Automation
        The plan's automation block by channel (`Scenario.automation_for`).

    Returns
    -------
    BotOutcome
        Per contact: whether the bot resolved it (bot_u < deflection), when it joins the agent
        queue (arrival + bot_time_s) [s], and the bot's cost [currency].
    """
    n_channels = len(scenario.channels)
    deflection = np.zeros(n_channels)
    bot_time_s = np.zeros(n_channels)
    cost = np.zeros(n_channels)
    has_bot = np.zeros(n_channels, dtype=bool)
    for c, name in enumerate(scenario.channels):
        block = automation.get(name)
        if block is not None:
            has_bot[c] = True
            deflection[c], bot_time_s[c], cost[c] = (
                block.deflection,
                block.bot_time_s,
                block.cost_per_contact,
            )
    if not has_bot.any():  # no bot: nobody deflected, everyone joins on arrival, no cost
        n = len(contacts)
        return BotOutcome(
            bot=np.zeros(n, dtype=bool),
            deflected=np.zeros(n, dtype=bool),
            joined_at_s=contacts.arrived_at_s + 0.0,
            bot_cost=np.zeros(n),
        )
    from coverage.simulation.input_kernels import bot_pass  # one compiled pass

    # deflected: bot_u < deflection (0 without a bot, so never); joined: arrival + bot time
    # (0 without a bot), nan when deflected; cost: the channel's (0 without a bot)
    bot, deflected, joined, bot_cost = bot_pass(
        contacts.arrived_at_s,
        contacts.channel,
        contacts.bot_u,
        (has_bot, deflection, bot_time_s, cost),
    )
    return BotOutcome(bot=bot, deflected=deflected, joined_at_s=joined, bot_cost=bot_cost)
