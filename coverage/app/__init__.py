"""App support: what-if levers on a scenario and the plotly figures the Streamlit pages show."""
