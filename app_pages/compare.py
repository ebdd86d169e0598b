"""Compare page: headline figures per plan, their differences, and the chance of missing targets."""

from __future__ import annotations

import streamlit as st

from coverage.app import charts
from coverage.simulation.replications import RunResult


def _plan_cards(result: RunResult, head) -> None:
    sc, plans = result.scenario, list(result.plans)
    baseline = result.plans[plans[0]]
    for col, (pname, plan) in zip(
        st.columns(len(plans), border=True), result.plans.items(), strict=True
    ):
        col.subheader(pname)
        money = col.columns(2)
        diff = plan.cost.per_month - baseline.cost.per_month
        money[0].metric(
            f"cost per month [{sc.currency}]",
            f"{plan.cost.per_month:,.0f}",
            None if pname == plans[0] else f"{diff:+,.0f} vs {plans[0]}",
            delta_color="inverse",
        )
        per_contact = plan.cost.per_contact
        money[1].metric(
            f"cost per contact [{sc.currency}]",
            "—" if per_contact is None else f"{per_contact:,.2f}",
        )
        rows = head[head["plan"] == pname].to_dict("records")
        col.caption("service level by channel [%] (hover ? for target and interval)")
        for cell, row in zip(col.columns(len(rows)), rows, strict=True):
            sl, ch = row["service level [%]"], sc.channels[row["channel"]]
            cell.metric(
                row["channel"],
                "—" if sl is None else f"{sl:.1f}",
                help=f"service level: target {ch.target.share:.0%} within "
                f"{ch.target.answer_within_s:g} s; 95% interval {row['service level 95% CI [%]']} %"
                f"; abandoned {row['abandoned [%]'] or 0:.1f} %",
            )


def _formats(table) -> dict:
    return {
        c: st.column_config.NumberColumn(format="%.1f")
        for c in table.columns
        if table[c].dtype.kind == "f"
    }


def show(result: RunResult) -> None:
    plans = list(result.plans)
    head = charts.headline_table(result)
    _plan_cards(result, head)
    st.markdown("**Per plan and channel** (counts per replication over the measured window)")
    st.dataframe(head, hide_index=True, column_config=_formats(head))
    if len(plans) > 1:
        st.markdown(f"**Difference from {plans[0]}** (paired over the same replications)")
        delta = charts.delta_table(result)
        st.dataframe(delta, hide_index=True, column_config=_formats(delta))
    st.plotly_chart(charts.p_miss_figure(result))
