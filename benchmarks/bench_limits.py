"""Measure what the resource limits are sized from: peak memory and CPU time per contact and per
rostered agent-day, each in a fresh process (ru_maxrss), for one replication of one plan.

    .venv/bin/python benchmarks/bench_limits.py            # prints a table and the fitted slopes

Each size runs in its own subprocess so peaks do not mix; the slope between two sizes is the
marginal cost (imports and numba's code cancel out). Reports CPU time (time.process_time) and the
load average beside wall time, since the machine may be shared.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

CHILD = textwrap.dedent(
    """
    import json, resource, sys, time
    from coverage.scenario.model import parse_scenario
    from coverage.simulation.replications import run_scenario
    per_hour, agents, days = float(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
    raw = {
        "name": "bench", "horizon": {"days": days}, "replications": 1, "seed": 1,
        "channels": {"chat": {"handle_time": {"dist": "exponential", "mean_s": 300},
                              "patience": {"dist": "exponential", "mean_s": 200}}},
        "regions": {"r": {"time_zone": "UTC"}},
        "demand": [{"channel": "chat", "region": "r", "per_hour": per_hour}],
        "plans": {"p": {"sites": {"s": {"time_zone": "UTC", "hourly_cost": 10,
                  "shifts": [{"start": "00:00", "hours": 8, "days": "all", "agents": agents},
                             {"start": "08:00", "hours": 8, "days": "all", "agents": agents},
                             {"start": "16:00", "hours": 8, "days": "all", "agents": agents}]}}}},
    }
    sc = parse_scenario(raw)
    from coverage.simulation.fast_engine import warm_up
    warm_up()
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    c0, w0 = time.process_time(), time.perf_counter()
    run_scenario(sc, engine="fast", workers=1, max_contacts=10**9, max_agents=10**7)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"base_kb": base, "peak_kb": peak,
                      "cpu_s": time.process_time() - c0, "wall_s": time.perf_counter() - w0}))
    """
)


def measure(per_hour: float, agents: int, days: float) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(per_hour), str(agents), str(days)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    days = 7.0
    rows = []
    for per_hour, agents in ((3000.0, 500), (12000.0, 500), (30.0, 5000), (30.0, 20000)):
        m = measure(per_hour, agents, days)
        contacts = per_hour * 24 * days
        agent_days = 3 * agents * (days + 1)
        rows.append((contacts, agent_days, m))
        print(
            f"contacts {contacts:>11,.0f}  agent-days {agent_days:>9,.0f}  "
            f"peak {m['peak_kb'] / 1024:7.0f} MB  (after imports {m['base_kb'] / 1024:5.0f} MB)  "
            f"cpu {m['cpu_s']:6.2f} s  wall {m['wall_s']:6.2f} s"
            f"  load {os.getloadavg()[0]:.1f}"
        )
    (c1, _, m1), (c2, _, m2) = rows[0], rows[1]
    (_, a1, m3), (_, a2, m4) = rows[2], rows[3]
    print(
        f"bytes per contact ≈ {(m2['peak_kb'] - m1['peak_kb']) * 1024 / (c2 - c1):.0f}; "
        f"cpu µs per contact ≈ {(m2['cpu_s'] - m1['cpu_s']) / (c2 - c1) * 1e6:.1f}"
    )
    print(
        f"bytes per agent-day ≈ {(m4['peak_kb'] - m3['peak_kb']) * 1024 / (a2 - a1):.0f}; "
        f"cpu µs per agent-day ≈ {(m4['cpu_s'] - m3['cpu_s']) / (a2 - a1) * 1e6:.1f}"
    )


if __name__ == "__main__":
    main()
