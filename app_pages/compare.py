"""Compare page: the verdict first (each plan's channels against their targets, sustainability,
the recommended plan and why), then the figures per plan and channel, their differences, service
by language and segment, and the chance of missing targets."""

from __future__ import annotations

import streamlit as st

from coverage.app import charts, tables, views
from coverage.formatting import format_duration_s, format_money
from coverage.results.explain import explain
from coverage.results.sustainability import sustainability_warning
from coverage.results.verdict import recommendation, recommended_plan
from coverage.simulation.replications import RunResult

# the columns that fit a 1400 px page; the download has them all
HEAD_COLUMNS = (
    "plan",
    "channel",
    "offered [contacts]",
    "service level [%]",
    "service level 95% CI [%]",
    "abandoned [%]",
    "FRT p50",
    "FRT p90",
    "P(miss target) [%]",
)
DELTA_COLUMNS = ("comparison", "channel", "service level [pp]", "service level [pp] 95% CI",
                 "abandoned [pp]", "FRT p90")  # fmt: skip


def _plan_cards(result: RunResult) -> None:
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
            format_money(plan.cost.per_month, sc.currency),
            None if pname == plans[0] else f"{format_money(diff, sc.currency)} vs {plans[0]}",
            delta_color="inverse",
        )
        money[1].metric(
            f"cost per contact [{sc.currency}]",
            format_money(plan.cost.per_contact, sc.currency, cents=True),
        )
        cards = views.verdict_cards(result, pname)
        for cell, card in zip(col.columns(len(cards)), cards, strict=True):
            cell.metric(card.channel, card.value, help=card.detail)
            cell.markdown(f":{card.color}-background[{card.status}]", help=card.detail)
        for entry in plan.sustainability:
            warning = sustainability_warning(entry, pname)
            if warning:
                col.warning(f"Not sustainable: {warning}", icon="⚠️")


def _formats(table) -> dict:
    return {
        c: st.column_config.NumberColumn(format="%.1f")
        for c in table.columns
        if table[c].dtype.kind == "f"
    }


def show(result: RunResult) -> None:
    plans = list(result.plans)
    st.info(recommendation(result))
    _plan_cards(result)
    if len(plans) > 1:
        best = recommended_plan(result)
        for other in plans:
            if other != best:
                with st.expander(f"Why {best} over {other}", expanded=True):
                    st.markdown("\n".join(f"- {line}" for line in explain(result, best, other)))
    head = tables.headline_table(result)
    for key in ("FRT p50", "FRT p90"):  # times for people (the download keeps seconds)
        head[key] = head[f"{key} [s]"].map(format_duration_s)
    st.markdown("**Per plan and channel** (counts per replication over the measured window)")
    st.dataframe(head, hide_index=True, column_config=_formats(head), column_order=HEAD_COLUMNS)
    if len(plans) > 1:
        st.markdown(f"**Difference from {plans[0]}** (paired over the same replications)")
        delta = tables.delta_table(result)
        delta["FRT p90"] = [
            "—" if v is None or v != v else ("+" if v >= 0 else "") + format_duration_s(v)
            for v in delta["FRT p90 [s]"]
        ]
        st.dataframe(
            delta, hide_index=True, column_config=_formats(delta), column_order=DELTA_COLUMNS
        )
    for by in ("language", "segment"):
        table = views.breakdown_view(result, by)
        if table[by].nunique() > 1 or (by == "segment" and len(result.scenario.segments)):
            st.markdown(f"**Service by {by}** (all channels together)")
            st.dataframe(table, hide_index=True)
    gaps = views.language_gap_view(result)
    if len(gaps):
        st.markdown("**Hours with demand but no speaker on duty** (for the channel it came in on)")
        st.dataframe(gaps, hide_index=True)
    st.plotly_chart(charts.p_miss_figure(result))
