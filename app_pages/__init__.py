"""The app's sidebar and pages; `app.py` wires them with `st.navigation` (docs/app.md)."""
