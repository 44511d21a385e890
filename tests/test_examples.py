"""Every gallery example runs (headless), as the docs build would run it."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("*/plot_*.py"))


@pytest.mark.parametrize("path", EXAMPLES, ids=[f"{p.parent.name}/{p.name}" for p in EXAMPLES])
def test_example_runs(path, tmp_path):
    subprocess.run(
        [sys.executable, str(path)],
        cwd=tmp_path,
        check=True,
        capture_output=True,
        env={**os.environ, "MPLBACKEND": "Agg"},
        timeout=300,
    )
