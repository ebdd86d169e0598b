"""Capacity planning over months: hiring, ramp-up, attrition and cost (docs/capacity.md)."""
