"""Sizing plans to their targets: requirement, program, simulated search (docs/optimizer.md)."""
