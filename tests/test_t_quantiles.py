"""The t-quantile table that keeps scipy off the `run` path equals scipy exactly."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from scipy import stats

from coverage.results.metrics import ci95
from coverage.results.t_quantiles import MAX_TABULATED_DF, T975, t975


def test_every_tabulated_quantile_is_scipys_exactly():
    # validation: bit-for-bit scipy.stats.t.ppf(0.975, df), df = 1…1000
    expected = stats.t.ppf(0.975, np.arange(1, MAX_TABULATED_DF + 1))
    assert len(T975) == MAX_TABULATED_DF
    assert np.array_equal(np.array(T975), expected)


def test_known_values_and_beyond_the_table():
    # hand-checked textbook values (two-sided 95%): df 1 → 12.706, df 10 → 2.228, df 30 → 2.042
    assert t975(1) == pytest.approx(12.706, abs=5e-4)
    assert t975(10) == pytest.approx(2.228, abs=5e-4)
    assert t975(30) == pytest.approx(2.042, abs=5e-4)
    # past the table scipy answers; the normal limit 1.95996 is approached from above
    assert t975(MAX_TABULATED_DF + 1) == stats.t.ppf(0.975, MAX_TABULATED_DF + 1)
    assert 1.95996 < t975(9999) < t975(1000)
    with pytest.raises(ValueError, match="at least 1"):
        t975(0)


def test_ci95_matches_the_scipy_formula_exactly():
    values = [0.81, 0.79, 0.86, 0.9, 0.77]
    vals = np.asarray(values)
    half = float(stats.t.ppf(0.975, 4) * vals.std(ddof=1) / np.sqrt(5))
    assert ci95(values) == (float(vals.mean()) - half, float(vals.mean()) + half)


def test_run_path_does_not_import_scipy():
    # functional: the CLI's run path (scenario → simulation → report) loads none of scipy's
    # subpackages (numba itself imports the bare `scipy` package, ~15 ms, to probe for it)
    code = (
        "import sys\n"
        "from coverage.cli import main\n"
        "import io, contextlib\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['run', 'scenarios/three-agent-24x7.yaml', '--replications', '2', '--json',"
        " '--workers', '1'])\n"
        "print(sorted(m for m in sys.modules if m.startswith(('scipy.stats', 'scipy.special',"
        " 'scipy.linalg', 'scipy.optimize', 'scipy.sparse', 'scipy.integrate'))))\n"
    )
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_scipy_linalg_still_imports_after_the_kernel_loaded():
    # functional: the BLAS shield in coverage.simulation._jit restores sys.modules exactly
    code = (
        "from coverage.simulation.fast_engine import warm_up\n"
        "warm_up()\n"
        "import numpy as np, scipy.linalg\n"
        "print(scipy.linalg.expm(np.zeros((2, 2)))[0, 0])\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "1.0"
