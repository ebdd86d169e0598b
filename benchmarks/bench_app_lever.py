"""Benchmark: app lever latency as a user sees it (real server, real browser).

Starts ``streamlit run app.py`` on a free local port (as tests/e2e/test_browser.py does), opens it
in Debian's headless chromium with Playwright, waits for the first figures of the default scenario
(global-saas, the app's default replications), then moves one lever by keyboard, one step at a
time:

* ``--changes`` steps up to values not seen before (cache misses: the server simulates), then
* the same number of steps back down (values already simulated: cache hits, no simulation).

For each change it prints the wall time from the key press until the Compare page's figures (the
metric cards and the plotly data) differ from before ("figures s") and until the script run is
over ("idle s", no status widget or spinner left; it includes a fixed 0.3 s settle wait, which is
subtracted), the CPU time (user + system) the server process spent meanwhile, its resident size
afterwards, and the 1-minute load average. Medians and maxima per kind of change close the table.
``--option runner.postScriptGC=true`` passes a Streamlit setting to the server (for A/B runs).
``--page hours`` waits instead on the Hour-of-week page with the chat heatmap shown, where
tests/e2e/test_browser.py times its lever change. ``--tree`` (repeatable) runs the app of another
checkout (with its own ``.venv`` when it has one); with ``--rounds`` the trees alternate, so an
A/B comparison sees the same machine load. Printed, never asserted.

    .venv/bin/python benchmarks/bench_app_lever.py [--changes 6] [--lever "chat: bot deflection"]
    .venv/bin/python benchmarks/bench_app_lever.py --page hours --tree . --tree /tmp/base --rounds 2
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
TIMEOUT_MS = 300_000
SETTLE_MS = 300  # the idle check waits this long first, so a new run has time to start

# the texts of the metric cards and the data of every plotly figure: what a user reads
FIGURES_JS = """() => JSON.stringify([
  Array.from(document.querySelectorAll('[data-testid="stMetric"]')).map(m => m.innerText),
  Array.from(document.querySelectorAll('.js-plotly-plot')).map(
    g => (g.data || []).map(t => [t.name || '', t.z || t.y || null]))])"""

IDLE_JS = """() => !document.querySelector('[data-testid="stStatusWidget"] *')
                 && !document.querySelector('[data-testid="stSpinner"]')"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cpu_s(pid: int) -> float:
    """User + system CPU time of process `pid` (all its threads) [s], from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _rss_mb(pid: int) -> float:
    """Resident set size of process `pid` [MB], from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _wait_healthy(url: str, proc: subprocess.Popen, timeout_s: float = 120.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                if resp.read().strip() == b"ok":
                    return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError("streamlit did not become healthy")


def _idle(page) -> None:
    page.wait_for_timeout(SETTLE_MS)
    page.wait_for_function(IDLE_JS, timeout=TIMEOUT_MS)


def _change(page, thumb, key: str, pid: int) -> dict[str, float]:
    """Press `key` on the slider thumb; time until the figures change and the run is over."""
    before = page.evaluate(FIGURES_JS)
    load = os.getloadavg()[0]
    cpu0 = _cpu_s(pid)
    start = time.perf_counter()
    thumb.press(key)
    page.wait_for_function(f"before => ({FIGURES_JS})() !== before", arg=before, timeout=TIMEOUT_MS)
    figures_s = time.perf_counter() - start
    _idle(page)
    idle_s = time.perf_counter() - start - SETTLE_MS / 1000
    return {
        "value": float(thumb.input_value()),
        "figures_s": figures_s,
        "idle_s": max(idle_s, figures_s),
        "server_cpu_s": _cpu_s(pid) - cpu0,
        "rss_mb": _rss_mb(pid),
        "load": load,
    }


def _open_page(page, url: str, which: str) -> None:
    """Open the app and wait for the first figures of `which` page (as the browser test does)."""
    page.goto(url)
    page.get_by_test_id("stMetric").first.wait_for(timeout=TIMEOUT_MS)
    page.locator(".js-plotly-plot").first.wait_for(timeout=TIMEOUT_MS)
    _idle(page)
    if which == "hours":  # tests/e2e/test_browser.py's lever change: the chat heatmap
        page.get_by_role("link", name="Hour of week").click()
        page.locator(".js-plotly-plot").nth(1).wait_for(timeout=TIMEOUT_MS)
        _idle(page)
        page.get_by_test_id("stSelectbox").filter(has_text="Channel").click()
        page.get_by_role("option", name="chat", exact=True).click()
        page.locator(".js-plotly-plot", has_text="— chat —").wait_for(timeout=TIMEOUT_MS)
        _idle(page)


def measure(tree: Path, args: argparse.Namespace) -> list[tuple[str, dict[str, float]]]:
    """Start the app of `tree` (its own .venv when it has one), open it, move the lever."""
    from playwright.sync_api import sync_playwright

    python = tree / ".venv" / "bin" / "python"
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    started = time.perf_counter()
    command = [str(python) if python.exists() else sys.executable, "-m", "streamlit", "run",
               "app.py", "--server.headless", "true", "--server.port", str(port),
               "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"]  # fmt: skip
    for option in args.option:
        key, _, value = option.partition("=")
        command += [f"--{key}", value]
    proc = subprocess.Popen(
        command,
        cwd=tree,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    rows: list[tuple[str, dict[str, float]]] = []
    try:
        _wait_healthy(url, proc)
        healthy_s = time.perf_counter() - started
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=str(CHROMIUM),
                headless=True,
                args=["--no-sandbox", "--disable-gpu", "--no-first-run"],
            )
            try:
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                cpu0, t0 = _cpu_s(proc.pid), time.perf_counter()
                _open_page(page, url, args.page)
                first_s = time.perf_counter() - t0 - SETTLE_MS / 1000
                first_cpu = _cpu_s(proc.pid) - cpu0
                print(
                    f"# {tree}: server healthy after {healthy_s:.2f} s wall; {args.page} page's "
                    f"first figures {first_s:.2f} s after opening it (server CPU "
                    f"{first_cpu:.2f} s, load {os.getloadavg()[0]:.2f})",
                    flush=True,
                )
                slider = page.get_by_test_id("stSlider").filter(has_text=args.lever)
                thumb = slider.get_by_role("slider")
                thumb.focus()
                for _ in range(args.changes):
                    rows.append(("new value", _change(page, thumb, "ArrowRight", proc.pid)))
                for _ in range(args.changes):
                    rows.append(("cache hit", _change(page, thumb, "ArrowLeft", proc.pid)))
            finally:
                browser.close()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=6, help="new values (then as many back)")
    parser.add_argument(
        "--lever", default="chat: bot deflection", help="label text of the slider to move"
    )
    parser.add_argument(
        "--page",
        choices=("compare", "hours"),
        default="compare",
        help="where to wait for new figures: the Compare page, or the Hour-of-week page's chat "
        "heatmap as tests/e2e/test_browser.py times it",
    )
    parser.add_argument(
        "--tree",
        type=Path,
        action="append",
        help="a checkout whose app to run (default: this one); several alternate round by round",
    )
    parser.add_argument("--rounds", type=int, default=1, help="rounds over the trees")
    parser.add_argument(
        "--option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a Streamlit setting for the server, e.g. runner.postScriptGC=true",
    )
    args = parser.parse_args()
    if not CHROMIUM.exists():
        sys.exit("/usr/bin/chromium is missing (scripts/ensure-chromium)")
    trees = args.tree or [ROOT]
    rows: list[tuple[str, str, dict[str, float]]] = []
    for _ in range(args.rounds):
        for tree in trees:
            rows += [(str(tree), kind, r) for kind, r in measure(tree, args)]
    print(
        f"lever: {args.lever!r}, {args.page} page; wall from key press (perf_counter), server CPU "
        "and RSS from /proc"
    )
    print(
        "| tree | change | kind | lever value | figures s | idle s | server CPU s | server RSS MB "
        "| load |"
    )
    print("|---|--:|---|--:|--:|--:|--:|--:|--:|")
    for i, (tree, kind, r) in enumerate(rows, 1):
        print(
            f"| {tree} | {i} | {kind} | {r['value']:g} | {r['figures_s']:.2f} | {r['idle_s']:.2f} "
            f"| {r['server_cpu_s']:.2f} | {r['rss_mb']:.0f} | {r['load']:.2f} |"
        )
    for tree in trees:
        for kind in ("new value", "cache hit"):
            sel = [r for t, k, r in rows if k == kind and t == str(tree)]
            if not sel:
                continue
            for field in ("figures_s", "idle_s", "server_cpu_s"):
                vals = [r[field] for r in sel]
                print(
                    f"{tree}: {kind}: {field} median {statistics.median(vals):.2f}, "
                    f"max {max(vals):.2f} (n={len(vals)})"
                )


if __name__ == "__main__":
    main()
