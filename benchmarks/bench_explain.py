"""How long `core.explain` takes for one entry, and the reverse look-ups for one hover.

The layer of the issue: input (1, 3, 128, 128), 16 output channels, 3×3 kernel, padding 1,
``reflect``, bias, float64. For each target, ``--reps`` calls on random entries (the same
entries for both forms), each call timed alone; the table shows the median, the 90th
percentile and the slowest call in milliseconds (wall clock), the median CPU time of this
thread (unaffected by other processes taking the cores: on a busy machine the p90 and max
show preemption, the CPU column does not), and the number of terms per entry:

* ``explain``: the functional form with torch's arguments (builds and validates the spec);
* ``explain_spec``: the form the app calls, ``explain_spec(spec, target, index, **tensors)``;
* ``readers``: the reverse look-up from an input pixel, weight tap, bias or grad_output entry;
* ``window``: the kernel window of one output position.

The budget is 5 ms per ``explain`` call; ``--check`` exits 1 when a median exceeds it.
Run ``python benchmarks/bench_explain.py`` (``--reps 200``, ``--dtype complex128``).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core import LayerSpec, explain, explain_spec, readers, window  # noqa: E402
from core.session import Session  # noqa: E402

BUDGET_MS = 5.0
SHAPES = {"output": "output_shape", "grad_input": "input_shape", "grad_weight": "weight_shape",
          "grad_bias": "bias_shape", "input": "input_shape", "weight": "weight_shape",
          "bias": "bias_shape", "grad_output": "output_shape"}


def _times(call: Callable[[tuple[int, ...]], object], entries: list[tuple[int, ...]]):
    call(entries[0])  # warm caches (the padding map) once
    wall, cpu = [], []
    for index in entries:
        start, start_cpu = time.perf_counter(), time.thread_time()
        result = call(index)
        wall.append((time.perf_counter() - start) * 1e3)
        cpu.append((time.thread_time() - start_cpu) * 1e3)
    return wall, statistics.median(cpu), result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=200, help="calls per row")
    parser.add_argument("--dtype", default="float64", choices=["float64", "complex128"])
    parser.add_argument("--check", action="store_true", help="exit 1 over the 5 ms budget")
    args = parser.parse_args(argv)

    spec = LayerSpec(3, 16, 3, padding=1, padding_mode="reflect", input_size=(128, 128),
                     batch=1, dtype=args.dtype)
    s = Session.default(spec, seed=0)
    tensors = s.tensors()
    torch_args = dict(stride=spec.stride, padding=spec.padding, dilation=spec.dilation,
                      groups=spec.groups, padding_mode=spec.padding_mode)
    rng = np.random.default_rng(0)

    def entries(name: str) -> list[tuple[int, ...]]:
        shape = getattr(spec, SHAPES[name])
        return [tuple(int(rng.integers(n)) for n in shape) for _ in range(args.reps)]

    rows = []
    for target in ("output", "grad_input", "grad_weight", "grad_bias"):
        where = entries(target)
        rows.append((f"explain {target}", *_times(
            lambda i, t=target: explain(t, i, **tensors, **torch_args), where)))
        rows.append((f"explain_spec {target}", *_times(
            lambda i, t=target: explain_spec(spec, t, i, **tensors), where)))
    for source in ("input", "weight", "bias", "grad_output"):
        rows.append((f"readers {source}", *_times(
            lambda i, src=source: readers(spec, source=src, index=i, **tensors),
            entries(source))))
    rows.append(("window", *_times(lambda i: window(spec, i[-2:]), entries("output"))))

    print(f"layer: input {spec.input_shape}, weight {spec.weight_shape}, padding 1 "
          f"{spec.padding_mode}, {spec.dtype}; {args.reps} random entries per row; numpy "
          f"{np.__version__}, Python {sys.version.split()[0]}")
    print(f"{'call':28} {'terms':>7} {'median ms':>10} {'p90 ms':>8} {'max ms':>8} {'cpu ms':>8}")
    over = False
    for name, times, cpu, last in rows:
        median = statistics.median(times)
        p90 = float(np.percentile(times, 90))
        count = len(last) if hasattr(last, "__len__") else "-"
        print(f"{name:28} {count:>7} {median:10.3f} {p90:8.3f} {max(times):8.3f} {cpu:8.3f}")
        over |= name.startswith("explain") and median > BUDGET_MS
    print(f"budget {BUDGET_MS} ms per explain call: {'EXCEEDED' if over else 'met'}")
    return 1 if args.check and over else 0


if __name__ == "__main__":
    sys.exit(main())
