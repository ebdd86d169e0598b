"""Capacity page: hiring, headcount and cost by month for the scenario's capacity block.

Planning sizes a week of every demand level with the optimizer, which takes minutes, so it runs
only on the button and is cached on the scenario text and the chosen settings.
"""

from __future__ import annotations

import streamlit as st

from coverage.app.boundary import check_app_work
from coverage.capacity import charts
from coverage.capacity.plan import CapacityResult
from coverage.capacity.report import capacity_table
from coverage.scenario.model import Scenario, dump_scenario_yaml


@st.cache_data(show_spinner="Sizing each demand level and planning hires…", max_entries=4)
def plan_cached(
    scenario_yaml: str, base_dir: str | None, replications: int, levels: int, seed: int
) -> CapacityResult:
    """The capacity plan of the scenario text; cached on these hashable primitives."""
    from coverage.capacity.cli import run_capacity
    from coverage.scenario.model import scenario_from_text

    scenario = scenario_from_text(scenario_yaml, base_dir=base_dir)
    return run_capacity(
        scenario, replications=replications, seed=seed, levels=levels, service_replications=3
    )


def show(scenario: Scenario) -> None:
    """Settings and the Plan button; the plan once computed."""
    capacity = scenario.capacity
    if capacity is None:
        st.info(
            "This scenario has no `capacity` block. Upload one that has, such as "
            "`scenarios/capacity/global-saas-capacity.yaml` (docs/capacity.md)."
        )
        return
    st.markdown(
        f"**Capacity plan** from {capacity.start}, {capacity.months} months: each month's week "
        "is sized with the optimizer at its demand, then hires are planned per site at least "
        "cost."
    )
    left, right = st.columns(2)
    levels = left.number_input(
        "demand levels sized (interpolated between)",
        min_value=2,
        max_value=capacity.months,
        value=min(3, capacity.months),
    )
    replications = right.number_input("replications per sizing", min_value=2, max_value=20, value=5)
    key = (dump_scenario_yaml(scenario), int(levels), int(replications))
    if st.button("Plan capacity", type="primary"):
        st.session_state["capacity_key"] = key
    if st.session_state.get("capacity_key") != key:
        st.caption("Press **Plan capacity** to size the months (a few minutes).")
        return
    # one sizing pass per demand level; each repeats passes, so one over budget is refused
    check_app_work(scenario, runs=int(replications) * int(levels))
    result = plan_cached(key[0], scenario.base_dir, key[2], key[1], scenario.seed)
    show_result(result)


def show_result(result: CapacityResult) -> None:
    """Summaries, the people and cost charts, and the table with its download."""
    columns = st.columns(len(result.plans))
    for column, (name, plan) in zip(columns, result.plans.items(), strict=True):
        per_contact = plan.cost_per_contact
        column.metric(f"{name}: total [{result.currency}]", f"{plan.total_cost:,.0f}")
        column.caption(
            f"per contact {'—' if per_contact is None else f'{per_contact:.2f}'} · "
            f"{sum(int(s.hires.sum()) for s in plan.sites.values())} hires · "
            f"{len(plan.shortfall_months())} shortfall months"
        )
    names = list(result.plans)
    if len(names) > 1:
        base = result.plans[names[0]].total_cost
        st.caption(
            " · ".join(
                f"{n} vs {names[0]}: {result.plans[n].total_cost - base:+,.0f} {result.currency}"
                for n in names[1:]
            )
        )
    st.plotly_chart(charts.cost_figure(result))
    for name in names:
        st.plotly_chart(charts.people_figure(result, name))
        service = result.plans[name].service_in_shortfall
        if service:
            rows = [
                {
                    "month": result.months[m],
                    **{ch: "—" if v is None else f"{v:.1%}" for ch, v in levels.items()},
                }
                for m, levels in sorted(service.items())
            ]
            st.markdown(f"**{name}**: simulated service level with the staff available")
            st.dataframe(rows, hide_index=True)
    table = capacity_table(result)
    st.dataframe(table, hide_index=True)
    st.download_button(
        "Capacity plan per plan × month × site (CSV)",
        table.to_csv(index=False),
        "capacity.csv",
        "text/csv",
        on_click="ignore",
    )
