"""Time and memory of ConvViz's conv pipeline against torch's own ``F.conv2d`` + autograd.

What is timed
-------------
One *step* = forward + grad_input + grad_weight of one ``nn.Conv2d`` layer, float32, no
bias, for a fixed ``grad_output``:

* ours: ``core.compute(spec, x, w, None, grad_output, backend=...)`` — numpy arrays in,
  read-only numpy arrays out, the whole im2col pipeline (pad, unfold, matmul, fold,
  pad adjoint);
* torch: ``y = F.conv2d(x, w, ...)`` on leaf tensors that require grad, then
  ``y.backward(grad_output)``, producing ``x.grad`` and ``w.grad`` (torch's native
  convolution kernels, oneDNN on the CPU). The inputs are wrapped with ``torch.from_numpy``
  (no copy). For the ``cuda`` backend the reference also starts from and returns to numpy
  (host→device, step, device→host, synchronised), as ours must.

The timing process runs with glibc's mmap and trim thresholds at 1 GiB (it re-executes
itself with ``MALLOC_MMAP_THRESHOLD_`` and ``MALLOC_TRIM_THRESHOLD_`` set; ``--default-malloc``
to opt out), so that freed memory stays with the process. With the defaults, each side's
large buffers are handed back to the kernel and faulted in again on the next step, at a
cost that depends on what the *other* side allocated just before: torch's depthwise step
measured 15-17 ms instead of 4-5 ms, and ours up to 2x slower, in the same process.

"other load" is the share of the machine's CPU that *other* processes used while a case
was timed (from /proc/stat): on a shared machine it says how far to trust a row, and
``--wait-quiet S`` waits for a quiet second before each case.

Both run in this process with the same number of threads: ``torch.set_num_threads`` is set
to numpy's BLAS thread count (or ``--threads``, which also sets OpenBLAS's when it can);
both are printed. Each case is warmed up, then ours and torch's steps are timed
in alternating blocks of five (so load from other processes hits both alike; each block
after a 0.2 s pause and one untimed call, so that neither is timed while the other's idle
threads still spin) until both ``--min-reps`` repetitions and ``--seconds`` per case are
reached (at most ``--max-reps``); the table shows medians and the ratio ours / torch.

Peak memory
-----------
Each (case, implementation) pair runs in a fresh subprocess with glibc's mmap and trim
thresholds fixed at 128 KiB (``MALLOC_MMAP_THRESHOLD_``, ``MALLOC_TRIM_THRESHOLD_``), so
every large buffer — numpy's and torch's alike — is mapped on allocation and unmapped on
free, and the resident set tracks live memory instead of what the allocator keeps cached.
The subprocess builds the inputs, runs one warm-up step (one-time set-up such as oneDNN's
kernels and thread pools is not counted), calls ``malloc_trim``, reads VmRSS, resets the
kernel's high-water mark (``/proc/self/clear_refs`` ← 5), runs one step, and reports
VmHWM − VmRSS: the extra resident memory at the peak of one step, outputs included (they
are alive when the step returns on both sides), inputs excluded. Everything is counted —
numpy arrays, torch tensors, oneDNN scratch, autograd's saved state — because it is the
process's own resident set. For ``cuda`` the figure is ``torch.cuda.max_memory_allocated``
above the memory allocated before the step, in-process.

Shapes (padding 1 for 3×3 kernels, 2 for the 5×5 one and 4 for the 9-tap Conv1d, i.e.
"same"-sized outputs at stride 1, as these layers are used in practice): see `CASES`. Rows
marked T are ``nn.ConvTranspose2d`` layers (shape = its input; torch's step:
``F.conv_transpose2d`` and autograd); rows marked 1D and 3D are ``nn.Conv1d`` and
``nn.Conv3d`` layers (torch's step: ``F.conv1d`` / ``F.conv3d`` and autograd).

Run ``python benchmarks/bench_core.py`` (``make bench``); ``--quick`` for a fast smoke run,
``--backends numpy,torch`` to choose, ``--no-memory`` to skip the subprocesses.
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import json
import os
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
KEEP_MEMORY = str(2**30)  # glibc's mmap and trim thresholds for the timing process
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import core  # noqa: E402
from core import LayerSpec  # noqa: E402


@dataclass(frozen=True)
class Case:
    name: str
    input_shape: tuple[int, ...]  # (N, C, *spatial): 1, 2 or 3 spatial axes
    out_channels: int
    kernel: int
    stride: int
    padding: int
    groups: int = 1
    transposed: bool = False  # an nn.ConvTranspose{d}d: input_shape is its input
    output_padding: int = 0

    @property
    def dims(self) -> int:
        return len(self.input_shape) - 2

    def spec(self) -> LayerSpec:
        n, c, *size = self.input_shape
        if self.transposed:
            return LayerSpec(c, self.out_channels, self.kernel, stride=self.stride,
                             padding=self.padding, output_padding=self.output_padding,
                             groups=self.groups, bias=False, input_size=tuple(size), batch=n,
                             dtype="float32", transposed=True, dims=self.dims)
        return LayerSpec.from_arrays(
            self.input_shape,
            (self.out_channels, c // self.groups, *[self.kernel] * self.dims),
            bias=False,
            stride=self.stride,
            padding=self.padding,
            groups=self.groups,
            dtype="float32",
            dims=self.dims,
        )

    def tensors(self) -> tuple[LayerSpec, np.ndarray, np.ndarray, np.ndarray]:
        spec = self.spec()
        rng = np.random.default_rng(0)
        x = rng.standard_normal(spec.input_shape, dtype=np.float32)
        w = rng.standard_normal(spec.weight_shape, dtype=np.float32)
        w /= np.sqrt(np.prod(spec.weight_shape[1:]))
        gy = rng.standard_normal(spec.output_shape, dtype=np.float32)
        return spec, x, w, gy


CASES = [
    Case("(1,3,32,32)→8 k3", (1, 3, 32, 32), 8, 3, 1, 1),
    Case("(1,3,256,256)→16 k3", (1, 3, 256, 256), 16, 3, 1, 1),
    Case("(8,64,56,56)→64 k3", (8, 64, 56, 56), 64, 3, 1, 1),
    Case("(8,64,56,56)→64 k3 depthwise", (8, 64, 56, 56), 64, 3, 1, 1, groups=64),
    Case("(4,32,64,64)→64 k5 s2", (4, 32, 64, 64), 64, 5, 2, 2),
    Case("T (1,16,64,64)→8 k4 s2 p1", (1, 16, 64, 64), 8, 4, 2, 1, transposed=True),
    Case("T (8,64,28,28)→32 k3 s2 p1 op1", (8, 64, 28, 28), 32, 3, 2, 1, transposed=True,
         output_padding=1),
    # issue 14: one and three spatial axes (nn.Conv1d, nn.Conv3d)
    Case("1D (8,64,4096)→64 k9", (8, 64, 4096), 64, 9, 1, 4),
    Case("3D (2,16,16,64,64)→32 k3", (2, 16, 16, 64, 64), 32, 3, 1, 1),
]


# -- thread counts ------------------------------------------------------------------------
def _openblas() -> ctypes.CDLL | None:
    """numpy's OpenBLAS, found among the loaded libraries (None if numpy uses another BLAS)."""
    with open("/proc/self/maps") as f:
        paths = {line.split()[-1] for line in f if "openblas" in line.lower() and "/" in line}
    for path in sorted(paths):
        try:
            return ctypes.CDLL(path)
        except OSError:
            continue
    return None


def _openblas_call(lib: ctypes.CDLL, what: str, *args: int) -> int | None:
    for prefix in ("scipy_openblas_", "openblas_"):
        for suffix in ("64_", "_64_", ""):
            fn = getattr(lib, f"{prefix}{what}{suffix}", None)
            if fn is not None:
                return fn(*args)
    return None


def numpy_blas() -> tuple[str, int | None]:
    """numpy's BLAS as (description, threads)."""
    config = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
    name = f"{config.get('name', '?')} {config.get('version', '')}".strip()
    lib = _openblas()
    if lib is None:
        return name, None
    get_config = getattr(lib, "scipy_openblas_get_config64_", None)
    if get_config is not None:
        get_config.restype = ctypes.c_char_p
        name = get_config().decode()
    return name, _openblas_call(lib, "get_num_threads")


def set_threads(n: int | None) -> tuple[int, int | None, str]:
    """Make torch use as many threads as numpy's BLAS (or ``n`` for both); return the counts.

    ``numpy_fast.THREADS`` (the numpy pipeline's worker threads) follows the same count.
    """
    import torch

    from core.backends import numpy_fast

    blas, blas_threads = numpy_blas()
    if n is not None:
        lib = _openblas()
        if lib is not None:
            _openblas_call(lib, "set_num_threads", n)
            blas, blas_threads = numpy_blas()
    threads = n or blas_threads or os.cpu_count() or 1
    torch.set_num_threads(threads)
    numpy_fast.THREADS = threads
    return torch.get_num_threads(), blas_threads, blas


# -- the two steps ------------------------------------------------------------------------
def ours_step(case: Case, backend: str) -> Callable[[], tuple[np.ndarray, ...]]:
    spec, x, w, gy = case.tensors()

    def step() -> tuple[np.ndarray, ...]:
        r = core.compute(spec, x, w, None, gy, backend=backend)
        return r.output, r.grad_input, r.grad_weight

    return step


def torch_step(case: Case, device: str) -> Callable[[], tuple[np.ndarray, ...]]:
    import torch
    import torch.nn.functional as F

    spec, x, w, gy = case.tensors()

    def forward(xr, wr):
        if case.transposed:
            return getattr(F, f"conv_transpose{case.dims}d")(
                xr, wr, None, case.stride, case.padding, case.output_padding, case.groups)
        return getattr(F, f"conv{case.dims}d")(xr, wr, None, case.stride, case.padding, 1,
                                               case.groups)

    if device == "cpu":
        xt, wt, gyt = (torch.from_numpy(a) for a in (x, w, gy))

        def step() -> tuple:
            xr, wr = xt.detach().requires_grad_(), wt.detach().requires_grad_()
            y = forward(xr, wr)
            y.backward(gyt)
            return y.detach(), xr.grad, wr.grad

        return step

    def step_cuda() -> tuple:
        xr, wr, gyt = (torch.from_numpy(a).to(device) for a in (x, w, gy))
        xr.requires_grad_()
        wr.requires_grad_()
        y = forward(xr, wr)
        y.backward(gyt)
        out = tuple(t.detach().cpu().numpy() for t in (y, xr.grad, wr.grad))
        torch.cuda.synchronize()
        return out

    return step_cuda


def function_pairs(case: Case) -> list[tuple[str, Callable, Callable]]:
    """Each public function alone against its torch counterpart (numpy backend, CPU)."""
    import torch
    import torch.nn.functional as F

    spec, x, w, gy = case.tensors()
    xt, wt, gyt = (torch.from_numpy(a) for a in (x, w, gy))
    layer = {"stride": case.stride, "padding": case.padding, "groups": case.groups}
    if case.transposed:
        return transposed_pairs(case, x, w, gy, xt, wt, gyt)
    name = f"conv{case.dims}d"
    ours, theirs = getattr(core, name), getattr(F, name)
    ours_input = getattr(core, f"{name}_input")
    theirs_input = getattr(torch.nn.grad, f"{name}_input")
    ours_weight = getattr(core, f"{name}_weight")
    theirs_weight = getattr(torch.nn.grad, f"{name}_weight")
    return [
        (name, lambda: ours(x, w, **layer), lambda: theirs(xt, wt, **layer)),
        (
            f"{name}_input",
            lambda: ours_input(x.shape, w, gy, **layer),
            lambda: theirs_input(x.shape, wt, gyt, **layer),
        ),
        (
            f"{name}_weight",
            lambda: ours_weight(x, w.shape, gy, **layer),
            lambda: theirs_weight(xt, w.shape, gyt, **layer),
        ),
    ]


def transposed_pairs(case: Case, x, w, gy, xt, wt, gyt) -> list[tuple[str, Callable, Callable]]:
    """The transposed functions against torch's own kernels: F.conv_transpose2d, and the
    backward autograd runs for it (aten.convolution_backward, transposed, one output)."""
    import torch
    import torch.nn.functional as F

    layer = {"stride": case.stride, "padding": case.padding,
             "output_padding": case.output_padding, "groups": case.groups}

    d = case.dims

    def backward(mask: list[bool]) -> Callable:
        args = ([case.stride] * d, [case.padding] * d, [1] * d, True,
                [case.output_padding] * d, case.groups, mask)
        return lambda: torch.ops.aten.convolution_backward(gyt, xt, wt, None, *args)

    name = f"conv_transpose{d}d"
    ours, ours_input = getattr(core, name), getattr(core, f"{name}_input")
    ours_weight, theirs = getattr(core, f"{name}_weight"), getattr(F, name)
    return [
        (name, lambda: ours(x, w, **layer), lambda: theirs(xt, wt, **layer)),
        (f"{name}_input", lambda: ours_input(x.shape, w, gy, **layer),
         backward([True, False, False])),
        (f"{name}_weight", lambda: ours_weight(x, w.shape, gy, **layer),
         backward([False, True, False])),
    ]


def huge_stride_pair() -> tuple[str, Callable, Callable]:
    """The layer whose cost once grew with stride²: a 1×1 output from a 5×5 input."""
    import torch
    import torch.nn.functional as F

    x, w = np.ones((1, 3, 5, 5), np.float32), np.ones((2, 3, 3, 3), np.float32)
    xt, wt = torch.from_numpy(x), torch.from_numpy(w)
    return (
        "conv2d (1,3,5,5)→2 k3 stride 4000",
        lambda: core.conv2d(x, w, stride=4000),
        lambda: F.conv2d(xt, wt, stride=4000),
    )


def steps(case: Case, backend: str) -> tuple[Callable, Callable]:
    device = "cuda" if backend == "cuda" else "cpu"
    return ours_step(case, backend), torch_step(case, device)


def check(case: Case, ours: Callable, ref: Callable) -> float:
    """Largest error of ours relative to the reference's largest magnitude, per output."""
    worst = 0.0
    for a, b in zip(ours(), ref(), strict=True):
        b = np.asarray(b.cpu() if hasattr(b, "cpu") else b)
        if a.dtype != np.float32:
            raise AssertionError(f"{case.name}: ours returned {a.dtype}, not float32")
        worst = max(worst, float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-30)))
    return worst


class OtherLoad:
    """Share of the machine's CPU time that other processes used while the block ran.

    From /proc/stat (all CPUs, busy = not idle or iowait) minus this process's own CPU
    time; 0.0 means the timings had the machine to themselves.
    """

    def __enter__(self) -> OtherLoad:
        self._start = self._sample()
        self.share = float("nan")
        return self

    def __exit__(self, *exc: object) -> None:
        busy0, own0, wall0 = self._start
        busy1, own1, wall1 = self._sample()
        cpus = os.cpu_count() or 1
        self.share = max(0.0, (busy1 - busy0 - (own1 - own0)) / ((wall1 - wall0) * cpus))

    @staticmethod
    def _sample() -> tuple[float, float, float]:
        try:
            with open("/proc/stat") as f:
                ticks = [int(v) for v in f.readline().split()[1:9]]
            busy = (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")
        except (OSError, ValueError):
            busy = float("nan")
        t = os.times()
        return busy, t.user + t.system, time.perf_counter()


def wait_quiet(limit: float, threshold: float = 0.1) -> float:
    """Wait (at most ``limit`` s) for a second in which other processes use < threshold."""
    deadline = time.perf_counter() + limit
    while True:
        with OtherLoad() as load:
            time.sleep(1.0)
        if load.share < threshold or time.perf_counter() >= deadline:
            return load.share


def time_blocks(
    fns: list[Callable],
    *,
    warmup: int,
    min_reps: int,
    max_reps: int,
    seconds: float,
    sync: Callable[[], None],
    block: int = 5,
    pause: float = 0.2,
) -> tuple[list[float], int, float]:
    """Medians of each of ``fns``, timed in alternating blocks; the repetitions of each;
    and the other load.

    Each block starts after a pause and one untimed call, so that no function is timed
    while another's idle threads still spin (OpenBLAS's spin for about 0.1 s after
    their work, measured: torch's step ran up to 4x slower right after a numpy one)
    or while its own are waking up.
    """
    for _ in range(warmup):
        for f in fns:
            f()
    times: list[list[float]] = [[] for _ in fns]
    with OtherLoad() as load:
        start = time.perf_counter()
        while len(times[0]) < max_reps and (
            len(times[0]) < min_reps or time.perf_counter() - start < seconds
        ):
            for f, into in zip(fns, times, strict=True):
                time.sleep(pause)
                f()
                for _ in range(block):
                    sync()
                    t0 = time.perf_counter()
                    f()
                    sync()
                    into.append(time.perf_counter() - t0)
    return [statistics.median(t) for t in times], len(times[0]), load.share


# -- memory, one subprocess per (case, implementation) ------------------------------------
def _status(key: str) -> int:
    with open("/proc/self/status") as f:
        return int(re.search(rf"^{key}:\s+(\d+) kB", f.read(), re.M).group(1)) * 1024


def probe(case_index: int, impl: str, threads: int | None) -> dict:
    """Peak extra memory of one step, in bytes (run in a fresh subprocess)."""
    case = CASES[case_index]
    kind, backend = impl.split(":")
    if backend == "cuda":
        import torch

        set_threads(threads)
        step = ours_step(case, backend) if kind == "ours" else torch_step(case, "cuda")
        step()
        torch.cuda.synchronize()
        gc.collect()
        base = torch.cuda.memory_allocated()
        torch.cuda.reset_peak_memory_stats()
        result = step()
        torch.cuda.synchronize()
        return {
            "peak": torch.cuda.max_memory_allocated() - base,
            "what": "cuda allocated",
            "n": len(result),
        }
    if kind == "torch" or backend == "torch":
        set_threads(threads)
    step = ours_step(case, backend) if kind == "ours" else torch_step(case, "cpu")
    result = step()
    del result
    gc.collect()
    ctypes.CDLL("libc.so.6").malloc_trim(0)
    before = _status("VmRSS")
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    result = step()
    peak = _status("VmHWM")
    return {"peak": peak - before, "what": "resident", "n": len(result)}


def measure_memory(case_index: int, impl: str, threads: int | None) -> float | None:
    env = dict(
        os.environ,
        MALLOC_MMAP_THRESHOLD_="131072",
        MALLOC_TRIM_THRESHOLD_="131072",
        PYTHONPATH=str(ROOT),
    )
    cmd = [sys.executable, __file__, "--probe", f"{case_index}:{impl}"]
    if threads:
        cmd += ["--threads", str(threads)]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        print(f"  memory probe {impl} failed: {done.stderr.strip().splitlines()[-1:]}")
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])["peak"]


# -- main ---------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--backends",
        default=None,
        help="comma-separated: numpy,torch,cuda (default: numpy,torch and cuda when available)",
    )
    p.add_argument(
        "--cases", default=None, help="comma-separated case numbers, 1-based (default: all)"
    )
    p.add_argument("--quick", action="store_true", help="few repetitions, for a smoke run")
    p.add_argument("--seconds", type=float, default=None, help="time budget per case and backend")
    p.add_argument("--min-reps", type=int, default=None)
    p.add_argument("--max-reps", type=int, default=None)
    p.add_argument(
        "--threads",
        type=int,
        default=None,
        help="threads for torch and numpy's OpenBLAS (default: OpenBLAS's count)",
    )
    p.add_argument("--no-memory", action="store_true", help="skip the memory subprocesses")
    p.add_argument(
        "--no-functions",
        action="store_true",
        help="skip timing conv2d, conv2d_input and conv2d_weight alone (numpy backend)",
    )
    p.add_argument(
        "--wait-quiet",
        type=float,
        default=0.0,
        metavar="S",
        help="before each case wait up to S s for other processes to go quiet (< 10%% CPU)",
    )
    p.add_argument(
        "--default-malloc",
        action="store_true",
        help="time with glibc's default mmap/trim thresholds (see the docstring)",
    )
    p.add_argument("--probe", default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)

    if args.probe:
        index, impl = args.probe.split(":", 1)
        print(json.dumps(probe(int(index), impl, args.threads)))
        return 0
    if not args.default_malloc and os.environ.get("MALLOC_MMAP_THRESHOLD_") != KEEP_MEMORY:
        # Start again with glibc keeping freed memory (see the module's docstring).
        env = dict(
            os.environ, MALLOC_MMAP_THRESHOLD_=KEEP_MEMORY, MALLOC_TRIM_THRESHOLD_=KEEP_MEMORY
        )
        os.execve(sys.executable, [sys.executable, __file__, *sys.argv[1:]], env)

    import torch

    torch_threads, blas_threads, blas = set_threads(args.threads)
    if args.backends:
        backends = args.backends.split(",")
    else:
        backends = ["numpy", "torch"] + (["cuda"] if torch.cuda.is_available() else [])
    cases = list(range(len(CASES)))
    if args.cases:
        cases = [int(i) - 1 for i in args.cases.split(",")]
    seconds = args.seconds if args.seconds is not None else (0.3 if args.quick else 2.0)
    min_reps = args.min_reps or (3 if args.quick else 15)
    max_reps = args.max_reps or (10 if args.quick else 200)
    warmup = 1 if args.quick else 3

    from core.backends import blas as core_blas
    from core.backends import numpy_fast

    print(
        f"torch {torch.__version__} threads: {torch_threads} (interop "
        f"{torch.get_num_interop_threads()}); numpy {np.__version__} BLAS: {blas}, "
        f"threads: {blas_threads}; numpy_fast.THREADS: {numpy_fast.THREADS} (one BLAS thread "
        f"each: {core_blas.available()}); CPUs: {os.cpu_count()}"
    )
    print(
        f"float32, no bias; step = forward + grad_input + grad_weight; median of >= "
        f"{min_reps} reps or {seconds:g} s per case, ours and torch in alternating blocks"
    )
    rows = []
    for i in cases:
        case = CASES[i]
        for backend in backends:
            if backend == "cuda" and not torch.cuda.is_available():
                print("skip cuda: torch.cuda.is_available() is False")
                continue
            ours, ref = steps(case, backend)
            err = check(case, ours, ref)
            sync = torch.cuda.synchronize if backend == "cuda" else (lambda: None)
            if args.wait_quiet:
                wait_quiet(args.wait_quiet)
            (t_ours, t_ref), reps, others = time_blocks(
                [ours, ref],
                warmup=warmup,
                min_reps=min_reps,
                max_reps=max_reps,
                seconds=seconds,
                sync=sync,
            )
            del ours, ref
            m_ours = m_ref = None
            if not args.no_memory:
                m_ours = measure_memory(i, f"ours:{backend}", args.threads)
                m_ref = measure_memory(i, f"torch:{backend}", args.threads)
            row = (case.name, backend, t_ours, t_ref, m_ours, m_ref, reps, others)
            rows.append(row)
            print(
                f"  {case.name:30s} {backend:5s} ours {t_ours * 1e3:8.2f} ms  torch "
                f"{t_ref * 1e3:8.2f} ms  x{t_ours / t_ref:5.2f}  reps {reps:3d}  "
                f"mem {_mib(m_ours)} / {_mib(m_ref)} MiB  rel.err {err:.1e}  "
                f"other processes {others:.0%} CPU",
                flush=True,
            )

    print()
    print(
        "| shape (N,C,*size)→O | backend | ours (ms) | torch (ms) | time ours/torch "
        "| ours peak (MiB) | torch peak (MiB) | memory ours/torch | other load |"
    )
    print("|---|---|--:|--:|--:|--:|--:|--:|--:|")
    for name, backend, t_ours, t_ref, m_ours, m_ref, _reps, others in rows:
        ratio = f"{m_ours / m_ref:.2f}" if m_ours and m_ref else "–"
        print(
            f"| {name} | {backend} | {t_ours * 1e3:.2f} | {t_ref * 1e3:.2f} | "
            f"{t_ours / t_ref:.2f} | {_mib(m_ours)} | {_mib(m_ref)} | {ratio} | {others:.0%} |"
        )
    if not args.no_functions and "numpy" in backends:
        pairs = [(CASES[i].name, *pair) for i in cases for pair in function_pairs(CASES[i])]
        pairs.append(("–", *huge_stride_pair()))
        print()
        print("each public function alone, numpy backend, against its torch counterpart")
        print("| shape (N,C,*size)→O | function | ours (ms) | torch (ms) | ours/torch "
              "| other load |")
        print("|---|---|--:|--:|--:|--:|")
        for name, function, ours, ref in pairs:
            if args.wait_quiet:
                wait_quiet(args.wait_quiet)
            (t_ours, t_ref), _reps, others = time_blocks(
                [ours, ref], warmup=warmup, min_reps=min_reps, max_reps=max_reps,
                seconds=seconds, sync=lambda: None,
            )
            print(
                f"| {name} | {function} | {t_ours * 1e3:.3f} | {t_ref * 1e3:.3f} | "
                f"{t_ours / t_ref:.2f} | {others:.0%} |",
                flush=True,
            )
    return 0


def _mib(b: float | None) -> str:
    return "–" if b is None else f"{b / 2**20:.1f}"


if __name__ == "__main__":
    raise SystemExit(main())
