"""Scenario files: the pydantic model (`model`) and the field checks and error mapping
(`fields`)."""
