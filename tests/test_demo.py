"""``python -m skot demo`` runs end to end and writes its figures."""

import os
import subprocess
import sys


def test_demo_quick(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "skot", "demo", "--quick", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "MPLBACKEND": "Agg"},
    ).stdout
    assert "KMedoids(method='fasterpam')" in out
    assert list(tmp_path.glob("*.png")), out
