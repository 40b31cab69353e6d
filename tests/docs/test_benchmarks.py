"""The benchmarks run after a plain ``pip install .`` (issue 12: they imported pytest through tests/conftest.py).

Each benchmark is loaded in a fresh interpreter in which ``pytest`` and ``hypothesis`` cannot be
imported (as after a plain install), and ``bench_exchange_throughput.py`` runs for a moment.
benchmarks/README.md says how to run each one; every benchmark is listed there.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BENCHMARKS = sorted(p for p in (ROOT / "benchmarks").glob("*.py") if not p.name.startswith("_"))

# Blocks the test-only packages, then runs the script: as __main__ with argv, or only loads it.
WITHOUT_TEST_DEPS = """
import runpy, sys
class _Blocked:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("pytest", "_pytest", "hypothesis"):
            raise ModuleNotFoundError(f"No module named {name!r} (blocked: a plain install has no test dependencies)")
        return None
sys.meta_path.insert(0, _Blocked())
path, run_name, *argv = sys.argv[1:]
sys.argv = [path, *argv]
runpy.run_path(path, run_name=run_name)
"""


def _run(path: Path, run_name: str, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", WITHOUT_TEST_DEPS, str(path), run_name, *argv], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)


def test_the_blocker_blocks() -> None:
    """The check below can fail: a script importing pytest is refused."""
    importing_pytest = WITHOUT_TEST_DEPS.replace("runpy.run_path(path, run_name=run_name)", "import pytest")
    done = subprocess.run([sys.executable, "-c", importing_pytest, "unused", "__main__"], capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and "blocked: a plain install" in done.stderr


@pytest.mark.parametrize("path", BENCHMARKS, ids=[p.name for p in BENCHMARKS])
def test_each_benchmark_loads_without_the_test_dependencies(path: Path) -> None:
    done = _run(path, "benchmark_loaded")  # module level only: not __main__
    assert done.returncode == 0, f"{path.name}: {done.stderr[-3000:]}"


def test_the_exchange_throughput_benchmark_runs_without_the_test_dependencies() -> None:
    done = _run(ROOT / "benchmarks" / "bench_exchange_throughput.py", "__main__", "--seconds", "0.3", "--concurrency", "1")
    assert done.returncode == 0, done.stderr[-3000:]
    assert "signed private Balance:" in done.stdout and "req/s" in done.stdout, done.stdout


def test_every_benchmark_is_listed_with_how_to_run_it() -> None:
    readme = (ROOT / "benchmarks" / "README.md").read_text()
    scripts = [p.name for p in BENCHMARKS] + [p.name for p in (ROOT / "benchmarks").glob("*.sh")]
    missing = [name for name in scripts if f"`{name}`" not in readme]
    assert not missing, f"benchmarks/README.md does not list {missing}"
