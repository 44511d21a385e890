"""One place for numba: jit settings, the parallel and BLAS-thread policy, the cache rule.

Importing this module does not import numba: numba (about 0.25 s) is imported
when the first kernel module is, so ``import skot.<family>`` stays cheap.

Settings
    Every kernel module uses :func:`jit` or :func:`twin` (never ``numba.njit``
    directly): compiled on first call (lazy, no eager signatures: they would
    reject the read-only arrays scikit-learn's checks pass), cached on disk,
    ``nogil`` so joblib threads run kernels concurrently, and no ``fastmath``.

Serial or parallel
    A kernel whose loop is the same serially and in parallel is written once,
    with ``prange``, and decorated with :func:`twin`: ``k.serial`` and
    ``k.parallel`` are compiled (each only when first used) from that one
    source. Callers pick one with :func:`select` (or :func:`use_parallel` for
    kernels whose parallel variant is a different algorithm), which applies the
    size thresholds of :data:`PARALLEL_MIN_WORK`: on two cores a parallel
    kernel is slower than its serial twin on small inputs, and compiling it
    costs seconds that a small call should not pay. Tests force one path for a
    block of code with :func:`parallel_policy` (``"always"``, ``"never"``), or
    for a whole run with the environment variable ``SKOT_PARALLEL``.
    Parallel kernels run under :func:`numba_threads`; kernels called from joblib
    worker threads must be serial (numba's default threading layer does not
    allow concurrent parallel launches): pass ``n_threads=1`` there.

BLAS threads
    :func:`blas_threads` limits BLAS (through one threadpoolctl controller per
    process) for code that mixes BLAS calls with numba threads, or whose
    results must not depend on the thread count.

Cache rule
    numba's on-disk cache checks only the file that defines a function, so a
    kernel that calls a jitted helper from another file would keep stale
    machine code after the helper changes. skot's kernels are instead stamped
    with a hash of their module and of every skot module it imports,
    transitively (:func:`kernel_source_stamp`): changing a helper invalidates
    every kernel that can reach it, so helpers can be shared across files.
"""

import hashlib
import os
import threading
from contextlib import contextmanager
from pathlib import Path

JIT_OPTIONS = {"nogil": True, "cache": True, "fastmath": False, "error_model": "numpy"}

# Minimum work (about the number of matrix entries, or entry x feature
# operations, one call touches) before a parallel kernel pays on this class of
# machine; below it the serial twin is used. One table for every family.
PARALLEL_MIN_WORK = {
    "default": 250_000,
    # Dense or sparse matrix-vector products, scalings and one Sinkhorn pass over M.
    "matvec": 250_000,
    "sinkhorn": 200_000,
    # Pairwise distances (n * m * d operations).
    "pairwise": 2_000_000,
    # Row-by-row work with a feature loop (nearest rows, entropic map blocks).
    "rows": 2_000_000,
    # k-medoids passes over an n x n matrix (n * n).
    "kmedoids": 25_000_000,
    # Linkage on features: pdist / MST (n * n).
    "linkage": 9_000_000,
}

_POLICIES = ("auto", "always", "never")
_policy = threading.local()


def _current_policy():
    mode = getattr(_policy, "mode", None)
    if mode is None:
        mode = os.environ.get("SKOT_PARALLEL", "auto").lower()
        if mode not in _POLICIES:
            raise ValueError(
                f"SKOT_PARALLEL must be one of {_POLICIES}, got {os.environ['SKOT_PARALLEL']!r}."
            )
    return mode


@contextmanager
def parallel_policy(mode):
    """Force the serial or parallel kernels inside the block (for tests).

    ``"auto"`` applies :data:`PARALLEL_MIN_WORK`; ``"always"`` picks every
    parallel kernel (even on one thread); ``"never"`` every serial one. The
    setting is per thread and restored on exit.
    """
    if mode not in _POLICIES:
        raise ValueError(f"mode must be one of {_POLICIES}, got {mode!r}.")
    previous = getattr(_policy, "mode", None)
    _policy.mode = mode
    try:
        yield
    finally:
        _policy.mode = previous


def use_parallel(work, n_threads, kind="default"):
    """Whether a call of ``work`` operations on ``n_threads`` threads runs in parallel."""
    mode = _current_policy()
    if mode == "always":
        return True
    if mode == "never" or n_threads <= 1:
        return False
    return work >= PARALLEL_MIN_WORK[kind]


def select(kernel, work, n_threads, kind="default"):
    """The serial or parallel variant of a :func:`twin` kernel, by :func:`use_parallel`."""
    return kernel.parallel if use_parallel(work, n_threads, kind) else kernel.serial


def n_chunks(n_threads):
    """Work items per parallel launch: a few per thread, so uneven rows balance."""
    return 4 * max(1, n_threads)


# --------------------------------------------------------------------------- jit


def jit(func=None, *, parallel=False, **options):
    """``numba.njit`` with skot's settings; usable with or without arguments."""
    opts = {**JIT_OPTIONS, "parallel": parallel, **options}
    if func is None:
        return lambda f: _njit(f, opts)
    return _njit(func, opts)


def _njit(func, opts):
    import numba

    _install_cache_locator()
    return numba.njit(**opts)(func)


class Twin:
    """A kernel compiled serially and in parallel from one source.

    Calling it runs the serial variant. ``parallel`` is a copy of the function
    under another qualified name (``<name>__parallel``), so the two variants
    keep separate cache files.
    """

    def __init__(self, func, options):
        self.__wrapped__ = func
        self.__name__ = func.__name__
        self.__qualname__ = func.__qualname__
        self.__doc__ = func.__doc__
        self.__module__ = func.__module__
        self.serial = jit(func, **options)
        par = _copy_function(func, func.__name__ + "__parallel")
        self.parallel = jit(par, parallel=True, **options)

    def __call__(self, *args):
        return self.serial(*args)

    def __repr__(self):
        return f"<skot twin kernel {self.__module__}.{self.__qualname__}>"


def _copy_function(func, name):
    import types

    new = types.FunctionType(
        func.__code__, func.__globals__, name, func.__defaults__, func.__closure__
    )
    new.__qualname__ = (
        func.__qualname__.rsplit(".", 1)[0] + "." + name if "." in func.__qualname__ else name
    )
    new.__module__ = func.__module__
    new.__doc__ = func.__doc__
    return new


def twin(func=None, **options):
    """Decorator: a :class:`Twin` kernel (write the loop once, with ``prange``)."""
    if func is None:
        return lambda f: Twin(f, options)
    return Twin(func, options)


# ----------------------------------------------------------------- thread counts


def effective_n_threads(n_jobs):
    """Number of numba threads for ``n_jobs`` (joblib semantics, capped by numba)."""
    from joblib import effective_n_jobs

    n = effective_n_jobs(n_jobs)
    return max(1, min(int(n), _max_numba_threads()))


def _max_numba_threads():
    # numba.config reads NUMBA_NUM_THREADS; avoid importing numba when the
    # answer does not need it (the default is the CPU count).
    env = os.environ.get("NUMBA_NUM_THREADS")
    if env:
        return max(1, int(env))
    import numba

    return numba.config.NUMBA_NUM_THREADS


@contextmanager
def numba_threads(n_jobs):
    """Run the enclosed kernels on ``effective_n_threads(n_jobs)`` threads.

    Yields the thread count; the previous count is restored on exit, even when
    the body raises. numba is imported only when more than one thread is used
    (a serial kernel never reads the count).
    """
    n = effective_n_threads(n_jobs)
    if n == 1:
        import sys

        if "numba" not in sys.modules:
            yield n
            return
    import numba

    previous = numba.get_num_threads()
    numba.set_num_threads(n)
    try:
        yield n
    finally:
        numba.set_num_threads(previous)


_CONTROLLER = []
_CONTROLLER_LOCK = threading.Lock()


def _blas_controller():
    with _CONTROLLER_LOCK:
        if not _CONTROLLER:
            from threadpoolctl import ThreadpoolController

            _CONTROLLER.append(ThreadpoolController())
    return _CONTROLLER[0]


@contextmanager
def blas_threads(n):
    """Limit BLAS to ``n`` threads inside the block (one controller per process)."""
    with _blas_controller().limit(limits=int(n), user_api="blas"):
        yield


# ------------------------------------------------------------------- cache rule

_PACKAGE_ROOT = Path(__file__).resolve().parents[1]
_STAMPS = {}


def _skot_imports(path):
    """Files of the skot modules that ``path`` imports (relative or absolute)."""
    import ast

    tree = ast.parse(path.read_bytes())
    pkg = path.parent
    out = set()
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = pkg
                for _ in range(node.level - 1):
                    base = base.parent
            elif node.module and node.module.split(".")[0] == "skot":
                base = _PACKAGE_ROOT.parent
            else:
                continue
            mod = base.joinpath(*node.module.split(".")) if node.module else base
            names = [mod] + [mod / a.name for a in node.names]
        elif isinstance(node, ast.Import):
            names = [
                _PACKAGE_ROOT.parent.joinpath(*a.name.split("."))
                for a in node.names
                if a.name.split(".")[0] == "skot"
            ]
        for m in names:
            for cand in (m.with_suffix(".py"), m / "__init__.py"):
                if cand.is_file():
                    out.add(cand.resolve())
    return out


def kernel_source_stamp(py_file):
    """Hash of a kernel module and of every skot module it imports, transitively.

    This is the cache stamp of every jitted function defined in ``py_file``:
    editing the module or any helper module it reaches invalidates its cached
    machine code (numba alone would only look at ``py_file``). Computed once
    per file and process.
    """
    py_file = Path(py_file).resolve()
    stamp = _STAMPS.get(py_file)
    if stamp is None:
        seen, todo = set(), [py_file]
        while todo:
            f = todo.pop()
            if f in seen:
                continue
            seen.add(f)
            todo.extend(_skot_imports(f) - seen)
        h = hashlib.sha256()
        for f in sorted(seen):
            h.update(str(f.relative_to(_PACKAGE_ROOT)).encode())
            h.update(f.read_bytes())
        stamp = _STAMPS[py_file] = h.hexdigest()
    return stamp


_LOCATOR_INSTALLED = []
_WRITABLE = set()


def _ensure_cache_path_once(self):
    # numba creates the folder and a temporary file for every function it
    # caches, at decoration time (34 times for the k-medoids kernels alone);
    # once per folder and process is enough.
    path = self.get_cache_path()
    if path not in _WRITABLE:
        import tempfile

        os.makedirs(path, exist_ok=True)
        tempfile.TemporaryFile(dir=path).close()
        _WRITABLE.add(path)


def _install_cache_locator():
    """Put skot-aware cache locators in front of numba's own (once per process)."""
    if _LOCATOR_INSTALLED:
        return
    _LOCATOR_INSTALLED.append(True)
    try:
        from numba.core import caching
    except ImportError:  # pragma: no cover - very old numba
        return
    impl = getattr(caching, "CacheImpl", None) or getattr(caching, "_CacheImpl", None)
    mixin = getattr(caching, "_SourceFileBackedLocatorMixin", None)
    if impl is None or mixin is None:  # pragma: no cover - future numba
        return
    root = str(_PACKAGE_ROOT) + os.sep
    ours = []
    for base in impl._locator_classes:
        if not issubclass(base, mixin):
            continue

        def from_function(cls, py_func, py_file, _base=base):
            if not os.path.abspath(py_file).startswith(root):
                return None
            return _base.from_function.__func__(cls, py_func, py_file)

        ours.append(
            type(
                "Skot" + base.__name__.lstrip("_"),
                (base,),
                {
                    "get_source_stamp": lambda self: kernel_source_stamp(self._py_file),
                    "from_function": classmethod(from_function),
                    "ensure_cache_path": _ensure_cache_path_once,
                },
            )
        )
    impl._locator_classes[:0] = ours
