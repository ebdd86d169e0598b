"""Simulation: roster, dispatch, the engines (fast numba kernel and SimPy reference), replications,
invariants."""
