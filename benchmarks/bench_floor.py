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
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

KEEP_MEMORY = str(2**30)  # as bench_core: freed memory stays with the process

import numpy as np  # noqa: E402

import bench_core  # noqa: E402
from core.backends import blas, numpy_fast, numpy_volume, workers  # noqa: E402
from core.conv import compute  # noqa: E402


def products(spec, threads: int):
    """A function that runs the three products of every slab of ``spec``'s step, each
    sample on its own worker, on matrices made once; and the flops of one call."""
    volume = numpy_fast.as_3d(spec)
    slabs = numpy_volume.plan(volume, numpy_fast.tuning())[2]
    rng = np.random.default_rng(0)
    c, o = volume.in_channels, volume.out_channels
    taps = c * int(np.prod(volume.kernel_size))
    dtype = np.dtype(volume.dtype)
    widest = max(numpy_volume.Volume(volume).positions(s) for s in slabs)
    w = rng.standard_normal((o, taps)).astype(dtype)
    w_adj = np.ascontiguousarray(w.T)
    n = volume.batch or 1

    def scratch():
        return (rng.standard_normal((taps, widest)).astype(dtype),
                rng.standard_normal((o, widest)).astype(dtype),
                np.empty((o, widest), dtype), np.empty((taps, widest), dtype))

    buffers = [scratch() for _ in range(threads)]

    def sample(k: int) -> None:
        cols_all, dy_all, y_all, dcols_all = buffers[k]
        with blas.single_threaded():
            grad_w = np.zeros((taps, o), dtype)
            for _ in range(n // threads):
                for slab in slabs:
                    p = numpy_volume.Volume(volume).positions(slab)
                    cols, dy = cols_all[:, :p], dy_all[:, :p]
                    np.matmul(w, cols, out=y_all[:, :p])
                    grad_w += cols @ dy.T
                    np.matmul(w_adj, dy, out=dcols_all[:, :p])

    positions = sum(numpy_volume.Volume(volume).positions(s) for s in slabs)
    flops = 3 * 2 * o * taps * positions * (n // threads) * threads
    return (lambda: workers.share(sample, list(range(threads)))), flops


def main() -> None:
    if os.environ.get("MALLOC_MMAP_THRESHOLD_") != KEEP_MEMORY:
        env = dict(os.environ, MALLOC_MMAP_THRESHOLD_=KEEP_MEMORY,
                   MALLOC_TRIM_THRESHOLD_=KEEP_MEMORY)
        os.execve(sys.executable, [sys.executable, *sys.argv], env)
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", default="1D,3D", help="name prefixes of bench_core rows")
    parser.add_argument("--rounds", type=int, default=8, help="blocks of 5 per contender")
    parser.add_argument("--slab-chunks", default=str(numpy_volume.SLAB_CHUNKS),
                        help="comma-separated values of numpy_volume.SLAB_CHUNKS to compare")
    args = parser.parse_args()
    import torch
    import torch.nn.functional as F

    threads = numpy_fast.THREADS
    torch.set_num_threads(threads)
    print(f"torch {torch.__version__}, threads {threads}, load {os.getloadavg()[0]:.2f}")
    for prefix, slab_chunks in [(p, float(s)) for p in args.cases.split(",")
                                for s in args.slab_chunks.split(",")]:
        numpy_volume.SLAB_CHUNKS = slab_chunks
        numpy_volume.plan.cache_clear()
        numpy_fast._as_3d.cache_clear()
        case = next(c for c in bench_core.CASES if c.name.startswith(prefix))
        spec, x, w, gy = case.tensors()
        if numpy_fast.as_3d(spec) is None or (spec.batch or 1) % threads:
            print(f"{case.name}: not on numpy_volume's path with {threads} workers; skipped")
            continue
        xt, wt = torch.from_numpy(x).requires_grad_(), torch.from_numpy(w).requires_grad_()
        gyt = torch.from_numpy(gy)
        conv = getattr(F, f"conv{spec.dims}d")

        def theirs():
            xt.grad = wt.grad = None
            conv(xt, wt, padding=spec.padding).backward(gyt)

        floor, flops = products(spec, threads)
        contenders = {"torch": theirs, "ours": lambda: compute(spec, x, w, None, gy),
                      "products": floor}
        times: dict[str, list[float]] = {name: [] for name in contenders}
        for _ in range(args.rounds):
            for name, run in contenders.items():
                run()
                time.sleep(0.1)
                run()
                for _ in range(5):
                    start = time.perf_counter()
                    run()
                    times[name].append(time.perf_counter() - start)
        medians = {name: statistics.median(t) for name, t in times.items()}
        rate = flops / medians["products"] / threads / 1e9
        slab = numpy_volume.plan(numpy_fast.as_3d(spec), numpy_fast.tuning())[2][0]
        print(f"{case.name}, slabs {numpy_volume.Volume(spec).positions(slab)} positions "
              f"(SLAB_CHUNKS {slab_chunks:g}): torch {medians['torch'] * 1e3:.1f} ms, ours "
              f"{medians['ours'] * 1e3:.1f} ms (x {medians['ours'] / medians['torch']:.2f}), "
              f"products alone {medians['products'] * 1e3:.1f} ms "
              f"(x {medians['products'] / medians['torch']:.2f}; {rate:.0f} GFLOP/s per worker)"
              f", the rest {(medians['ours'] - medians['products']) * 1e3:.1f} ms")


if __name__ == "__main__":
    main()
