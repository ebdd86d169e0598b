"""Figures of a calibration or a backtest: observed against simulated, by local hour of day."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

PANELS = (
    ("offered", "offered [contacts]", 1.0),
    ("abandon_rate", "abandon rate [%]", 100.0),
    ("asa_s", "ASA [s]", 1.0),
    ("service_level", "service level [%]", 100.0),
)
STYLE = {
    "observed": {"color": "#222222", "dash": "solid"},
    "simulated": {"color": "#1f77b4", "dash": "solid"},
    "predicted": {"color": "#1f77b4", "dash": "solid"},
    "naive": {"color": "#d62728", "dash": "dot"},
}


def by_hour_figure(table: pd.DataFrame, sources: list[str], title: str) -> go.Figure:
    """Four panels (offered, abandon rate, ASA, service level) by local hour, one line a source.

    `table` has `local_hour` and `<source>_<figure>` columns (`coverage.calibrate.run.hour_table`).
    """
    fig = make_subplots(rows=2, cols=2, subplot_titles=[p[1] for p in PANELS])
    for k, (key, _, scale) in enumerate(PANELS):
        row, col = k // 2 + 1, k % 2 + 1
        for source in sources:
            column = f"{source}_{key}"
            if column not in table:
                continue
            fig.add_trace(
                go.Scatter(
                    x=table["local_hour"],
                    y=pd.to_numeric(table[column], errors="coerce") * scale,
                    mode="lines+markers",
                    name=source,
                    legendgroup=source,
                    showlegend=k == 0,
                    line=STYLE.get(source, {}),
                ),
                row=row,
                col=col,
            )
        fig.update_xaxes(title_text="local hour", dtick=3, row=row, col=col)
    fig.update_layout(title=title, height=620, margin={"t": 80})
    return fig
