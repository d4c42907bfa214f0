"""Benchmarks are not timed tests; CI only checks that each still runs (their --smoke mode)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from app.settings import PROJECT_ROOT

SCRIPTS = sorted(p.name for p in (PROJECT_ROOT / "bench").glob("*.py"))


@pytest.mark.parametrize("script", SCRIPTS)
def test_benchmark_runs_in_smoke_mode(script: str) -> None:
    result = subprocess.run([sys.executable, f"bench/{script}", "--smoke"], cwd=PROJECT_ROOT, capture_output=True,
                            text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()


def test_every_benchmark_is_listed_in_the_bench_readme() -> None:
    readme = (PROJECT_ROOT / "bench" / "README.md").read_text()
    for script in SCRIPTS:
        assert f"bench/{script}" in readme
