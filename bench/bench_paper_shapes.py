"""CPU dry run of the paper profile's exact shapes, with an honest GPU projection.

Shapes (Yip et al., the ``paper`` profile): 2 x 256 x 256 States data -> 4 real channels
stacked by :func:`nmrlib.tocsy.audio.stack_transients` into 65,536 samples each (what
``nmrlib.tocsy.training.PreparedSplit`` feeds the model), batch 20. A step is one full training
step as ``nmrlib.tocsy.training`` makes it: forward of the 4 channels, cross-entropy, backward,
Adam (float32 on CPU). Inputs are random (the cost does not depend on the values).

Every (encoder, embedding) runs in its own fresh subprocess with one thread, so one
model's memory never pollutes another's peak (peak = ``ru_maxrss``, the process's RSS
high-water mark, torch and speechbrain imports included). First a probe at batch 2 and 4
(1 warm-up + 1 timed step each); peak memory and seconds per step are fitted as
``a + b * batch`` and extrapolated to batch 20 (when batch 20 is run, the per-sample
memory is refitted through the first probe and the full batch). The full batch is run only when the
extrapolated peak is below ``--mem-limit-gb`` and its steps fit ``--model-budget-s``;
otherwise the table gives the measured probe and the extrapolation, marked ``extrap``.

Projections for the paper's 10 epochs of 14,000 training spectra (7,000 steps at batch 20):

* CPU, one thread: seconds per batch-20 step x 7,000 (measured or extrapolated);
* GPU (one H200): a PROJECTION, not a measurement (``bench/bench_gpu.py`` measures it).
  Per step the largest of three floors: (1) the forward + backward FLOPs counted by
  ``torch.utils.flop_counter.FlopCounterMode`` (convolutions and matrix products; the
  element-wise work is left to floor 2) at ``--utilisation`` of the H200's dense
  FP16/BF16 rate (989 TFLOP/s, datasheet); (2) memory traffic: 4 passes (write and read
  in the forward, read and write of the gradient in the backward) over the activations,
  taken as the fitted per-sample RSS slope at half precision (float16 autocast), at 50 %
  of 4.8 TB/s; (3) eager-mode overhead: the aten operators dispatched in one forward +
  backward x 10 us (launch and dispatcher time, paid when kernels are tiny); (4) copying
  the float32 batch (21 MB) to the GPU at 25 GB/s. Adam, reading the data set from disk
  and validation (10 x 4,000 spectra forward, about +10 %) are left out.

    OMP_NUM_THREADS=1 .venv/bin/python bench/bench_paper_shapes.py --json build/paper_shapes.json
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import time

N1 = N2 = 256
BATCH = 20
TRAIN_SPECTRA = 14_000
EPOCHS = 10
PAPER_STEPS = math.ceil(TRAIN_SPECTRA / BATCH) * EPOCHS  # 7,000
H200_DENSE_FLOPS = 989e12   # dense FP16/BF16 tensor-core FLOP/s (datasheet; 790 measured)
H200_HBM_BYTES = 4.8e12     # HBM3e bytes/s (datasheet; 4.3e12 measured copy)
MEMORY_UTILISATION = 0.5
ACTIVATION_PASSES = 4
HALF_OVER_FLOAT = 0.5
EAGER_OP_S = 10e-6
HOST_TO_DEVICE_BYTES = 25e9  # pinned PCIe copies, a conservative practical rate
GB = 1e9


def _peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / GB  # Linux: KiB


def _counts(model, x, y) -> dict:
    """Forward / backward FLOPs and dispatched aten operators of one step on ``x``."""
    import torch
    from torch.utils._python_dispatch import TorchDispatchMode
    from torch.utils.flop_counter import FlopCounterMode

    class OpCounter(TorchDispatchMode):
        def __init__(self):
            super().__init__()
            self.n = 0

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            self.n += 1
            return func(*args, **(kwargs or {}))

    ops = OpCounter()
    with FlopCounterMode(display=False) as fwd, ops:
        loss = torch.nn.functional.cross_entropy(model(x), y)
    with FlopCounterMode(display=False) as bwd, ops:
        loss.backward()
    n = len(x)
    return {"fwd_flop_per_sample": fwd.get_total_flops() / n,
            "bwd_flop_per_sample": bwd.get_total_flops() / n, "aten_ops_per_step": ops.n}


def measure(encoder: str, embedding: str, batch: int, warmup: int, steps: int,
            count: bool) -> dict:
    """Seconds per training step and peak RSS at ``batch`` (run in a fresh process)."""
    import torch

    from nmrlib.tocsy.audio import stack_transients
    from nmrlib.tocsy.models import build_classifier, count_parameters

    torch.set_num_threads(1)
    torch.manual_seed(0)
    model = build_classifier(encoder, embedding)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = stack_transients(torch.randn(batch, 4, N1, N2))   # (batch, 4, 65,536)
    y = torch.randint(0, 20, (batch,))
    before = _peak_rss_gb()
    times = []
    for _ in range(warmup + steps):
        start = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        torch.nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
        times.append(time.perf_counter() - start)
    out = {"batch": batch, "length": x.shape[-1], "steps": steps,
           "s_per_step": sum(times[warmup:]) / steps, "first_step_s": times[0],
           "peak_rss_gb": _peak_rss_gb(), "peak_rss_before_steps_gb": before,
           "parameters": count_parameters(model), "threads": torch.get_num_threads()}
    if count:
        opt.zero_grad(set_to_none=True)
        out.update(_counts(model, x[:1], y[:1]))
    return out


def run_worker(encoder: str, embedding: str, batch: int, *, warmup: int = 1, steps: int = 1,
               count: bool = False, timeout: float = 1800) -> dict:
    """:func:`measure` in a fresh one-thread subprocess (its own peak RSS)."""
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", NMRLIB_THREADS="1")
    spec = json.dumps({"encoder": encoder, "embedding": embedding, "batch": batch,
                       "warmup": warmup, "steps": steps, "count": count})
    proc = subprocess.run([sys.executable, __file__, "--worker", spec], env=env,
                          capture_output=True, text=True, timeout=timeout)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"{encoder}-{embedding} batch {batch} failed (exit "
                           f"{proc.returncode}): {proc.stderr.strip()[-2000:]}")
    return json.loads(lines[-1][len("RESULT "):])


def _line(p: tuple[dict, dict], key: str) -> tuple[float, float]:
    """Intercept and slope (per sample) of ``key`` through two probes."""
    a, b = p
    slope = max((b[key] - a[key]) / (b["batch"] - a["batch"]), 0.0)
    return a[key] - slope * a["batch"], slope


def gpu_projection(per_sample_flop: float, activation_gb_per_sample: float, ops: int,
                   utilisation: float, batch: int = BATCH) -> dict:
    """Projected seconds per step on one H200 (max of three floors) and for the paper run."""
    flop_s = per_sample_flop * batch / (H200_DENSE_FLOPS * utilisation)
    traffic = ACTIVATION_PASSES * HALF_OVER_FLOAT * activation_gb_per_sample * GB * batch
    memory_s = traffic / (H200_HBM_BYTES * MEMORY_UTILISATION)
    eager_s = ops * EAGER_OP_S
    input_s = batch * 4 * N1 * N2 * 4 / HOST_TO_DEVICE_BYTES   # float32 (batch, 4, 65,536)
    step, bound = max((flop_s, "compute"), (memory_s, "memory"), (eager_s, "eager overhead"),
                      (input_s, "input copy"))
    return {"flop_s": flop_s, "memory_s": memory_s, "eager_s": eager_s, "input_s": input_s,
            "s_per_step": step,
            "bound": bound, "paper_train_min": step * PAPER_STEPS / 60,
            "activation_gb_b20_half": HALF_OVER_FLOAT * activation_gb_per_sample * batch}


def dry_run(encoder: str, embedding: str, args) -> dict:
    """Probe, extrapolate, maybe run the full batch; the table row of one configuration."""
    start = time.perf_counter()
    probes = tuple(run_worker(encoder, embedding, b, count=(i == 0))
                   for i, b in enumerate(args.probe_batches))
    mem0, mem1 = _line(probes, "peak_rss_gb")
    t0, t1 = _line(probes, "s_per_step")
    mem_pred, t_pred = mem0 + mem1 * args.batch, t0 + t1 * args.batch
    row = {"config": f"{encoder}-{embedding}", "probes": probes,
           "rss_gb_per_sample": mem1, "s_per_sample": t1,
           "peak_rss_gb_b20_extrap": mem_pred, "s_per_step_b20_extrap": t_pred}
    steps = min(args.steps, int(args.model_budget_s // max(t_pred, 1e-9)) - 1)
    full = None
    if mem_pred <= args.mem_limit_gb and steps >= 1:
        full = run_worker(encoder, embedding, args.batch, steps=steps)
        row["full"] = full
        why = None
    elif mem_pred > args.mem_limit_gb:
        why = f"extrapolated peak {mem_pred:.1f} GB > {args.mem_limit_gb:g} GB"
    else:
        why = f"extrapolated {t_pred:.0f} s/step: 2 steps exceed {args.model_budget_s:g} s"
    if full is not None:   # the full batch pins the per-sample memory better
        mem1 = _line((probes[0], full), "peak_rss_gb")[1]
        row["rss_gb_per_sample"] = mem1
    used = full or probes[-1]
    row.update(
        batch_used=used["batch"], steps_used=used["steps"], s_per_step_used=used["s_per_step"],
        peak_rss_gb_used=used["peak_rss_gb"], b20_measured=full is not None,
        b20_not_run_because=why,
        s_per_step_b20=full["s_per_step"] if full else t_pred,
        peak_rss_gb_b20=full["peak_rss_gb"] if full else mem_pred,
        parameters=probes[0]["parameters"])
    row["cpu_1thread_paper_train_h"] = row["s_per_step_b20"] * PAPER_STEPS / 3600
    flop = probes[0]["fwd_flop_per_sample"] + probes[0]["bwd_flop_per_sample"]
    row["train_gflop_per_step_b20"] = flop * args.batch / 1e9
    row["cpu_gflop_per_s"] = flop * args.batch / row["s_per_step_b20"] / 1e9
    row["gpu_projection"] = gpu_projection(flop, mem1, probes[0]["aten_ops_per_step"],
                                           args.utilisation, args.batch)
    row["wall_s"] = time.perf_counter() - start
    return row


def print_table(rows: list[dict], utilisation: float) -> None:
    head = (f"{'config':<20} {'batch':>5} {'s/step':>7} {'peak GB':>7} | {'s/step@20':>10} "
            f"{'peak GB@20':>11} {'CPU 10ep h':>10} | {'TFLOP/step':>10} "
            f"{'GPU s/step':>10} {'bound':>8} {'GPU 10ep min':>12}")
    print(head)
    print("-" * len(head))
    for r in rows:
        tag = "" if r["b20_measured"] else "*"
        g = r["gpu_projection"]
        print(f"{r['config']:<20} {r['batch_used']:>5} {r['s_per_step_used']:>7.2f} "
              f"{r['peak_rss_gb_used']:>7.2f} | {r['s_per_step_b20']:>9.2f}{tag or ' '} "
              f"{r['peak_rss_gb_b20']:>10.1f}{tag or ' '} {r['cpu_1thread_paper_train_h']:>10.1f}"
              f" | {r['train_gflop_per_step_b20'] / 1e3:>10.3f} {g['s_per_step']:>10.4f} "
              f"{g['bound'].split()[0]:>8} {g['paper_train_min']:>12.1f}")
    print(f"* extrapolated from the two probe batches (batch 20 not run). CPU: 1 thread, "
          f"{PAPER_STEPS} steps. GPU: PROJECTION for one H200 = max(FLOPs at "
          f"{utilisation:.0%} of 989 TFLOP/s, 4 half-precision passes over the activations at "
          f"50% of 4.8 TB/s, aten ops x 10 us, batch copy at 25 GB/s); training steps only "
          "(validation ~ +10%).")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--encoders", nargs="+", default=["conv1d", "fbank"])
    parser.add_argument("--embeddings", nargs="+",
                        default=["xvector", "ecapa_s", "ecapa_l", "deep_picker"])
    parser.add_argument("--batch", type=int, default=BATCH)
    parser.add_argument("--probe-batches", type=int, nargs=2, default=[2, 4])
    parser.add_argument("--steps", type=int, default=3, help="timed steps at the full batch")
    parser.add_argument("--mem-limit-gb", type=float, default=10.0,
                        help="run the full batch only below this extrapolated peak RSS")
    parser.add_argument("--model-budget-s", type=float, default=150.0,
                        help="wall-clock allowed for the full-batch steps of one model")
    parser.add_argument("--utilisation", type=float, default=0.30,
                        help="fraction of the H200's dense FP16 rate assumed for the projection")
    parser.add_argument("--json", help="also write every figure to this JSON file")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print("RESULT " + json.dumps(measure(**json.loads(args.worker))), flush=True)
        return 0
    if args.probe_batches[0] >= args.probe_batches[1]:
        parser.error("--probe-batches needs two increasing batch sizes")
    print(f"paper shapes: 2 x {N1} x {N2} -> 4 channels x {N1 * N2} samples, batch "
          f"{args.batch}; one thread per model, one model at a time", flush=True)
    rows = []
    for encoder in args.encoders:
        for embedding in args.embeddings:
            row = dry_run(encoder, embedding, args)
            rows.append(row)
            print(f"  {row['config']}: {row['wall_s']:.0f} s"
                  + (f" (batch {args.batch} not run: {row['b20_not_run_because']})"
                     if row["b20_not_run_because"] else ""), flush=True)
    print_table(rows, args.utilisation)
    if args.json:
        from nmrlib.core.repro import environment_report, write_json

        write_json(args.json, {"args": vars(args), "paper_steps": PAPER_STEPS,
                               "h200": {"dense_flops": H200_DENSE_FLOPS,
                                        "hbm_bytes_per_s": H200_HBM_BYTES,
                                        "utilisation": args.utilisation,
                                        "memory_utilisation": MEMORY_UTILISATION,
                                        "eager_op_s": EAGER_OP_S,
                                        "host_to_device_bytes_per_s": HOST_TO_DEVICE_BYTES},
                               "rows": rows, "environment": environment_report()})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
