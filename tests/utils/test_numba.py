"""The one numba policy: lazy import, twins, the parallel switch, BLAS threads, the cache rule."""

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from numba import prange

import skot
from skot.utils import _numba
from skot.utils._numba import (
    PARALLEL_MIN_WORK,
    blas_threads,
    parallel_policy,
    select,
    twin,
    use_parallel,
)


def test_importing_the_families_does_not_import_numba():
    code = (
        "import sys, skot.cluster, skot.ot, skot.da, skot.similarity, skot.datasets; "
        "print('numba' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "False"


def test_parallel_policy_and_thresholds():
    big = PARALLEL_MIN_WORK["matvec"]
    assert not use_parallel(big - 1, 2, "matvec")
    assert use_parallel(big, 2, "matvec")
    assert not use_parallel(10 * big, 1, "matvec")  # one thread: serial
    with parallel_policy("always"):
        assert use_parallel(1, 1, "matvec")
        with parallel_policy("never"):
            assert not use_parallel(10 * big, 2, "matvec")
        assert use_parallel(1, 1)
    assert not use_parallel(1, 2)
    with pytest.raises(ValueError, match="mode must be one of"):
        with parallel_policy("sometimes"):
            pass  # pragma: no cover


def test_parallel_policy_from_environment(monkeypatch):
    monkeypatch.setenv("SKOT_PARALLEL", "always")
    assert use_parallel(1, 1)
    monkeypatch.setenv("SKOT_PARALLEL", "bogus")
    with pytest.raises(ValueError, match="SKOT_PARALLEL"):
        use_parallel(1, 1)


@twin
def _row_sums(A, out):
    for i in prange(A.shape[0]):
        s = 0.0
        for j in range(A.shape[1]):
            s += A[i, j]
        out[i] = s


@pytest.mark.kernel
def test_twin_kernels_are_one_source_two_variants():
    A = np.random.RandomState(0).rand(300, 7)
    s, p = np.empty(300), np.empty(300)
    _row_sums(A, s)
    assert select(_row_sums, A.size, 2, "matvec") is _row_sums.serial
    _row_sums.parallel(A, p)
    np.testing.assert_array_equal(s, p)
    np.testing.assert_allclose(s, A.sum(axis=1))
    assert _row_sums.parallel.targetoptions.get("parallel")
    assert not _row_sums.serial.targetoptions.get("parallel")
    # separate cache files: the variants have different qualified names
    assert _row_sums.parallel.py_func.__qualname__ != _row_sums.serial.py_func.__qualname__
    with parallel_policy("always"):
        assert select(_row_sums, 1, 1) is _row_sums.parallel
    assert select(_row_sums, 1, 1) is _row_sums.serial


def test_blas_threads_limits_and_restores():
    from threadpoolctl import threadpool_info

    def blas():
        return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]

    before = blas()
    with blas_threads(1):
        assert all(n == 1 for n in blas())
    assert blas() == before


def test_kernel_stamp_follows_imports(tmp_path, monkeypatch):
    pkg = tmp_path / "pkg"
    (pkg / "utils").mkdir(parents=True)
    (pkg / "fam").mkdir()
    for d in (pkg, pkg / "utils", pkg / "fam"):
        (d / "__init__.py").write_text("")
    (pkg / "utils" / "_helper.py").write_text("def h():\n    return 1\n")
    (pkg / "utils" / "_other.py").write_text("x = 1\n")
    kern = pkg / "fam" / "_algo_kernels.py"
    kern.write_text("from ..utils._helper import h\n")
    monkeypatch.setattr(_numba, "_PACKAGE_ROOT", pkg)
    monkeypatch.setattr(_numba, "_STAMPS", {})
    first = _numba.kernel_source_stamp(kern)
    (pkg / "utils" / "_other.py").write_text("x = 2\n")  # not imported: same stamp
    _numba._STAMPS.clear()
    assert _numba.kernel_source_stamp(kern) == first
    (pkg / "utils" / "_helper.py").write_text("def h():\n    return 2\n")
    _numba._STAMPS.clear()
    assert _numba.kernel_source_stamp(kern) != first


@pytest.mark.slow
def test_cache_does_not_go_stale_across_files(tmp_path):
    # A kernel calling a jitted helper from another module: after the helper
    # changes, a new process must run the new helper (numba's own stamp only
    # looks at the kernel's file and would serve stale machine code).
    root = tmp_path / "src"
    shutil.copytree(
        Path(skot.__file__).parent, root / "skot", ignore=shutil.ignore_patterns("__pycache__")
    )
    helper = root / "skot" / "utils" / "_zz_helper_kernels.py"
    helper.write_text(
        textwrap.dedent("""
        from ._numba import jit

        @jit
        def value():
            return 1
    """)
    )
    (root / "skot" / "utils" / "_zz_main_kernels.py").write_text(
        textwrap.dedent("""
        from ._numba import jit
        from ._zz_helper_kernels import value

        @jit
        def main():
            return value() + 10
    """)
    )
    env = dict(os.environ, PYTHONPATH=str(root), NUMBA_CACHE_DIR=str(tmp_path / "cache"))
    code = "from skot.utils._zz_main_kernels import main; print(main())"

    def run():
        return subprocess.run(
            [sys.executable, "-c", code],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()

    assert run() == "11"
    assert list((tmp_path / "cache").rglob("*_zz_main_kernels*.nbi"))  # it was cached
    helper.write_text(helper.read_text().replace("return 1", "return 2"))
    assert run() == "12"
