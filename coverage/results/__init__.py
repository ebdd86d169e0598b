"""Results: per-replication metrics, costs, the JSON contract and tables."""
