"""How close the numpy fast path of a Conv1d or Conv3d row of `bench_core` is to its floor.

The numpy backend computes a step (forward + grad_input + grad_weight) as three matrix
products per slab of positions (`core.backends.numpy_volume`) plus the copies around them:
the unfold of the padded input into the im2col matrix, the fold of grad_input's matrix,
grad_output spread into the wide layout and the output gathered out of it, the padding
and its adjoint. This script times, in one process and in alternating blocks:

* **torch**: ``F.conv{d}d`` + autograd, as `bench_core` does;
* **ours**: ``core.compute`` on the numpy backend, as `bench_core` does;
* **products**: the same three products per slab, on the same slab shapes, the same two
  workers (one sample each, single-threaded BLAS, `core.backends.workers.share`) and the
  same dtypes, on matrices made once — no unfold, fold or other copy. This is what the
  im2col + matmul approach cannot go below with numpy's BLAS.

It prints medians, the ratios to torch, and each product's rate in GFLOP/s per worker.
If products / torch is already near a target ratio, no rearrangement of the copies can
meet it: only fewer or faster products could.

Run: ``python benchmarks/bench_floor.py`` (``--cases 1D,3D``, ``--rounds``).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_core  # noqa: E402
import numpy as np  # noqa: E402

from core.backends import blas, numpy_fast, numpy_volume, workers  # noqa: E402


def products(spec, threads: int):
    """A function that runs the three products of every slab of ``spec``'s step, each
    sample on its own worker, on matrices made once; and the flops of one call."""
    volume = numpy_fast.as_3d(spec)
    slabs = numpy_volume.plan(volume, numpy_fast.tuning())[2]
    positions = [numpy_volume.Volume(volume).positions(s) for s in slabs]
    rng = np.random.default_rng(0)
    c, o = volume.in_channels, volume.out_channels
    taps = c * int(np.prod(volume.kernel_size))
    dtype = np.dtype(volume.dtype)
    w = rng.standard_normal((o, taps)).astype(dtype)
    w_adj = np.ascontiguousarray(w.T)
    samples = (volume.batch or 1) // threads

    def scratch():
        widest = max(positions)
        return (rng.standard_normal((taps, widest)).astype(dtype),
                rng.standard_normal((o, widest)).astype(dtype),
                np.empty((o, widest), dtype), np.empty((taps, widest), dtype))

    buffers = [scratch() for _ in range(threads)]

    def sample(k: int) -> None:
        cols_all, dy_all, y_all, dcols_all = buffers[k]
        with blas.single_threaded():
            grad_w = np.zeros((taps, o), dtype)
            for _ in range(samples):
                for p in positions:
                    cols, dy = cols_all[:, :p], dy_all[:, :p]
                    np.matmul(w, cols, out=y_all[:, :p])
                    grad_w += cols @ dy.T
                    np.matmul(w_adj, dy, out=dcols_all[:, :p])

    flops = 3 * 2 * o * taps * sum(positions) * samples * threads
    return (lambda: workers.share(sample, list(range(threads)))), flops


def measure(case: bench_core.Case, slab_chunks: float, threads: int, rounds: int) -> str:
    """One line: torch's step, ours, and the products alone of ``case``'s layer."""
    numpy_volume.SLAB_CHUNKS = slab_chunks
    numpy_volume.plan.cache_clear()
    numpy_fast._as_3d.cache_clear()
    spec = case.spec()
    volume = numpy_fast.as_3d(spec)
    if volume is None or (spec.batch or 1) % threads:
        return f"{case.name}: not on numpy_volume's path with {threads} workers; skipped"
    floor, flops = products(spec, threads)
    (t_torch, t_ours, t_floor), _reps, _share = bench_core.time_blocks(
        [bench_core.torch_step(case, "cpu"), bench_core.ours_step(case, "numpy"), floor],
        warmup=1, min_reps=5 * rounds, max_reps=5 * rounds, seconds=0.0,
        sync=lambda: None, pause=0.1)
    rate = flops / t_floor / threads / 1e9
    slab = numpy_volume.plan(volume, numpy_fast.tuning())[2][0]
    return (f"{case.name}, slabs {numpy_volume.Volume(volume).positions(slab)} positions "
            f"(SLAB_CHUNKS {slab_chunks:g}): torch {t_torch * 1e3:.1f} ms, ours "
            f"{t_ours * 1e3:.1f} ms (x {t_ours / t_torch:.2f}), products alone "
            f"{t_floor * 1e3:.1f} ms (x {t_floor / t_torch:.2f}; {rate:.0f} GFLOP/s per "
            f"worker), the rest {(t_ours - t_floor) * 1e3:.1f} ms")


def main() -> None:
    if os.environ.get("MALLOC_MMAP_THRESHOLD_") != bench_core.KEEP_MEMORY:
        env = dict(os.environ, MALLOC_MMAP_THRESHOLD_=bench_core.KEEP_MEMORY,
                   MALLOC_TRIM_THRESHOLD_=bench_core.KEEP_MEMORY)
        os.execve(sys.executable, [sys.executable, *sys.argv], env)
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", default="1D,3D", help="name prefixes of bench_core rows")
    parser.add_argument("--rounds", type=int, default=8, help="blocks of 5 per contender")
    parser.add_argument("--slab-chunks", default=str(numpy_volume.SLAB_CHUNKS),
                        help="comma-separated values of numpy_volume.SLAB_CHUNKS to compare")
    args = parser.parse_args()
    import torch

    threads = numpy_fast.THREADS
    torch.set_num_threads(threads)
    print(f"torch {torch.__version__}, threads {threads}, load {os.getloadavg()[0]:.2f}")
    for prefix in args.cases.split(","):
        case = next(c for c in bench_core.CASES if c.name.startswith(prefix))
        for slab_chunks in args.slab_chunks.split(","):
            print(measure(case, float(slab_chunks), threads, args.rounds))


if __name__ == "__main__":
    main()
