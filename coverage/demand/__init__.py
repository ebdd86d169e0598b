"""Demand: contact arrivals (exact NHPP), bot automation, contact logs (replay and fit)."""
